"""A read-only model of a MAAS describe document (``GET /MAAS/api/2.0/describe/``).

Pure data, no I/O: the client binds it to a transport. Names follow the official ``maas``
CLI exactly: a handler class name is split at CamelCase, lower-cased, ``handler`` dropped and
joined with ``-`` (``BootResourcesHandler`` -> ``boot-resources``); Python attributes use
``_`` instead (``boot_resources``). Anonymous and authenticated actions are merged per
resource with the authenticated one winning a name clash, and the first of two actions with
the same name in one handler wins, as in the CLI.

Parameters are parsed from the action docs, in both formats MAAS has used: Sphinx fields
with free-text types (MAAS 2.x, ``:param name: text`` / ``:type name: unicode``) and the
annotated form (MAAS >= 2.5, ``:param name: Required. text`` / ``:type name: String``).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, Mapping

from .errors import UnknownNameError

_CAMELCASE = re.compile(r"([A-Z]*[a-z0-9]+|[A-Z]+)(?:(?=[^a-z0-9])|\Z)")
_FIELD = re.compile(r"^\s*:(param|type)\s+([^:\s]+)\s*:\s?(.*)$")
_OTHER_FIELD = re.compile(r"^\s*:[A-Za-z_-]+(\s+[^:]+)?:")
_REQUIRED = re.compile(r"^(Required|Optional)[.:]\s*", re.IGNORECASE)


def handler_cli_name(class_name: str) -> str:
    """The CLI's command name for a handler class: ``DHCPSnippetHandler`` -> ``dhcpsnippet``."""
    parts = (part.lower() for part in _CAMELCASE.findall(class_name))
    return "-".join(part for part in parts if part != "handler")


def cli_name(python_or_action_name: str) -> str:
    """The CLI's spelling of an action or attribute name: ``is_registered`` -> ``is-registered``."""
    return python_or_action_name.rstrip("_").replace("_", "-")


def python_name(cli: str) -> str:
    """A valid Python attribute for a CLI name: ``boot-resources`` -> ``boot_resources``."""
    name = cli.replace("-", "_")
    return name + "_" if keyword.iskeyword(name) else name


@dataclass(frozen=True)
class Param:
    """One parameter an action declares in its doc.

    ``type`` is the doc's own wording (``String``, ``base64-encoded unicode`` ...); ``kind``
    is its normalised form: ``string``, ``int``, ``float``, ``boolean``, ``base64``, ``file``
    or ``list``. ``required`` is ``None`` when the doc does not say (MAAS 2.x docs).
    """

    name: str
    type: str = ""
    required: bool | None = None
    description: str = ""

    @property
    def kind(self) -> str:
        return param_kind(self.name, self.type)


def param_kind(name: str, type_text: str) -> str:
    """Normalise a doc's free-text parameter type to one of a few kinds."""
    text = type_text.lower()
    if "base64" in text or name == "user_data":
        return "base64"
    if "file" in text or "bson" in text:
        return "file"
    if "bool" in text:
        return "boolean"
    if "int" in text and "interface" not in text:
        return "int"
    if "float" in text:
        return "float"
    if "multiple" in text or "list" in text or "iterable" in text:
        return "list"
    return "string"


@dataclass(frozen=True)
class ParsedDoc:
    """An action doc split into its title, its parameters and the rest of its text."""

    title: str
    params: tuple[Param, ...]
    body: str


def parse_doc(doc: str | None) -> ParsedDoc:
    """Split an action doc into title, declared parameters and remaining text. Never raises."""
    lines = (doc or "").replace("\r\n", "\n").expandtabs().split("\n")
    descriptions: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    body: list[str] = []
    current: list[str] | None = None  # the field whose continuation lines we are reading
    last, field_indent = None, 0  # Sphinx docs (2.x) continue a field in indented paragraphs
    for line in lines:
        field = _FIELD.match(line)
        indent = len(line) - len(line.lstrip())
        if field:
            kind, name, text = field.groups()
            if kind == "param":
                current = last = descriptions.setdefault(name, [])
                current.append(text.strip())
                field_indent = indent
            else:
                types[name] = text.strip()
                current = last = None
        elif current is not None and line.strip() and not _OTHER_FIELD.match(line):
            current.append(line.strip())
        elif current is None and last is not None and line.strip() and indent > field_indent:
            current = last
            current.append(line.strip())
        else:
            current = None
            if line.strip():
                last = None
            body.append(line)
    params = tuple(_make_param(name, " ".join(filter(None, text)), types.get(name, ""))
                   for name, text in descriptions.items())
    title, rest = _split_title("\n".join(body))
    return ParsedDoc(title, params, rest)


def _make_param(name: str, text: str, type_text: str) -> Param:
    marker = _REQUIRED.match(text)
    required = None if marker is None else marker.group(1).lower() == "required"
    description = text[marker.end():] if marker else text
    return Param(name, type_text, required, description.strip())


def _split_title(text: str) -> tuple[str, str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip())]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return "", ""
    title = " ".join(paragraphs[0].split())
    return title, "\n\n".join(paragraphs[1:])


class ActionSpec:
    """One action of a handler: ``name``, ``method``, ``op``, ``restful``, ``doc`` and its
    parsed ``params``. Wraps the raw describe entry read-only; parsing happens on first use."""

    def __init__(self, raw: Mapping, handler: "HandlerSpec"):
        self.raw, self.handler = raw, handler

    name = property(lambda self: self.raw["name"], doc="The action's name as MAAS gives it.")
    method = property(lambda self: self.raw["method"], doc="HTTP method: GET, POST, PUT or DELETE.")
    op = property(lambda self: self.raw.get("op"), doc="The ``op`` query value, None for restful actions.")
    restful = property(lambda self: bool(self.raw.get("restful")), doc="True for read/create/update/delete.")
    doc = property(lambda self: self.raw.get("doc") or "", doc="The action's doc text ('' when MAAS gives none).")

    @cached_property
    def cli_name(self) -> str:
        return cli_name(self.name)

    @cached_property
    def python_name(self) -> str:
        return python_name(self.cli_name)

    @cached_property
    def parsed(self) -> ParsedDoc:
        return parse_doc(self.raw.get("doc"))

    @property
    def params(self) -> tuple[Param, ...]:
        """Parameters declared in the doc, excluding URI parameters."""
        uri = set(self.handler.uri_params)
        return tuple(p for p in self.parsed.params if p.name not in uri)

    @property
    def params_by_name(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    @property
    def title(self) -> str:
        return self.parsed.title

    def __repr__(self) -> str:
        return f"<ActionSpec {self.handler.cli_name} {self.cli_name} {self.method} op={self.op}>"


class HandlerSpec:
    """One resource as the CLI presents it: its name, URI ``path`` and ``uri_params``, doc and
    merged actions (authenticated first, anonymous after; the first of a name wins)."""

    def __init__(self, resource: Mapping, anonymous: bool):
        self.resource, self.anonymous = resource, anonymous
        # The CLI represents a resource by its auth handler even for anonymous profiles.
        self.raw = resource.get("auth") or resource.get("anon") or {}

    @cached_property
    def cli_name(self) -> str:
        return handler_cli_name(self.resource["name"])

    @cached_property
    def python_name(self) -> str:
        return python_name(self.cli_name)

    name = property(lambda self: self.resource["name"], doc="The handler class name, e.g. MachineHandler.")
    path = property(lambda self: self.raw.get("path", ""), doc="The URI path template from the description.")
    uri_params = property(lambda self: tuple(self.raw.get("params") or ()),
                          doc="URI parameters, in the order they are given positionally.")
    doc = property(lambda self: self.raw.get("doc") or "", doc="The handler's doc text.")

    @cached_property
    def title(self) -> str:
        return _split_title(self.doc)[0]

    @cached_property
    def actions(self) -> dict[str, ActionSpec]:
        """Python name -> action, in description order."""
        sides = ("anon",) if self.anonymous else ("auth", "anon")
        merged: dict[str, ActionSpec] = {}
        for side in sides:
            for raw in (self.resource.get(side) or {}).get("actions") or ():
                action = ActionSpec(raw, self)
                merged.setdefault(action.python_name, action)
        return merged

    def action(self, name: str) -> ActionSpec:
        """The action called ``name`` (Python or CLI spelling), or UnknownNameError."""
        found = self.actions.get(python_name(name))
        if found is None:
            raise UnknownNameError("action", name, self.actions, where=self.cli_name)
        return found

    def __repr__(self) -> str:
        return f"<HandlerSpec {self.cli_name} {self.path}>"


class Description:
    """A whole describe document; handlers are built on first use.

    ``anonymous=True`` keeps only what an anonymous caller may use, as the CLI does for a
    profile without credentials.
    """

    def __init__(self, doc: Mapping, anonymous: bool = False):
        self.raw, self.anonymous = doc, anonymous

    @property
    def hash(self) -> str | None:
        return self.raw.get("hash")

    @cached_property
    def handlers(self) -> dict[str, HandlerSpec]:
        """Python name -> handler, sorted by name (the order the CLI lists them in)."""
        found = {}
        for resource in self.raw.get("resources") or ():
            side = resource.get("anon") if self.anonymous else (resource.get("auth") or resource.get("anon"))
            if side:
                spec = HandlerSpec(resource, self.anonymous)
                found.setdefault(spec.python_name, spec)
        return dict(sorted(found.items()))

    def handler(self, name: str) -> HandlerSpec:
        """The handler called ``name`` (Python or CLI spelling), or UnknownNameError."""
        found = self.handlers.get(python_name(name))
        if found is None:
            hint = ""
            if self.anonymous and self._needs_auth(name):
                hint = "it needs an API key: connect with api_key=..."
            raise UnknownNameError("handler", name, self.handlers, hint=hint)
        return found

    def _needs_auth(self, name: str) -> bool:
        return any(handler_cli_name(r.get("name", "")) == cli_name(name)
                   for r in self.raw.get("resources") or ())

    def __iter__(self) -> Iterator[HandlerSpec]:
        return iter(self.handlers.values())

    def __len__(self) -> int:
        return len(self.handlers)
