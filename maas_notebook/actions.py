"""Handlers and actions as Python objects, and how call arguments become a MAAS request.

``client.machine`` is a :class:`Handler`; ``client.machine.deploy`` is an :class:`Action`,
a callable with a real signature, doc and tab completion built from the description.
:func:`bind` turns a call's arguments into the URI values and form data the CLI would send.
"""

from __future__ import annotations

import base64
import inspect
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .description import ActionSpec, HandlerSpec, python_name
from .errors import ParameterError, close_names

if TYPE_CHECKING:  # pragma: no cover - type hints only
    from .client import Client

# Keywords the seed project's requests-style calls used for the action's data.
LEGACY_DATA_KEYWORDS = ("data", "files", "params")


class UndeclaredParameterWarning(UserWarning):
    """A parameter the action's doc does not declare: MAAS silently ignores such names."""


def bind(spec: ActionSpec, args: tuple, kwargs: dict, strict: bool = False
         ) -> tuple[dict[str, str], list[tuple[str, Any]]]:
    """Split a call's arguments into URI parameter values and the form data to send.

    Positional arguments fill the handler's URI parameters in describe order; keywords
    name URI or data parameters. Lists repeat their key; ``bytes`` given for a base64
    parameter (``user_data``) are encoded for the caller. A data name the doc does not
    declare warns (or, with ``strict``, raises) because MAAS would silently ignore it.
    """
    where = f"{spec.handler.python_name}.{spec.python_name}"
    kwargs = _merge_legacy_data(spec, where, kwargs)
    uri_names = spec.handler.uri_params
    if len(args) > len(uri_names):
        raise ParameterError(
            f"{where}() takes {len(uri_names)} positional URI parameter(s) "
            f"({', '.join(uri_names) or 'none'}) but {len(args)} were given; pass the rest as key=value")
    uri = dict(zip(uri_names, args))
    for name in uri_names[len(args):]:
        if name not in kwargs:
            raise ParameterError(f"{where}() is missing the URI parameter {name!r}: "
                                 f"call {where}({name}=...)")
        uri[name] = kwargs.pop(name)
    uri = {name: _uri_value(where, name, value) for name, value in uri.items()}
    declared = {p.name: p for p in spec.params}
    data: list[tuple[str, Any]] = []
    for name, value in kwargs.items():
        if declared and name not in declared:
            _undeclared(where, name, declared, strict)
        kind = declared[name].kind if name in declared else ""
        for item in _values(value):
            data.append((name, _encode(item, kind, name)))
    return uri, data


def _uri_value(where: str, name: str, value: Any) -> str:
    """A URI parameter as text; None or "" would address another object (``machines//``)."""
    if value is None:
        raise ParameterError(f"{where}() is missing the URI parameter {name!r} (it is None)")
    try:
        text = str(value)
        text.encode("utf-8")
    except ValueError as exc:  # also UnicodeEncodeError: lone surrogates
        raise ParameterError(f"{where}() cannot put {name!r} in the URL: it is not valid "
                             f"text ({type(exc).__name__})") from exc
    if not text:
        raise ParameterError(f"{where}() got an empty {name!r}")
    return text


def _merge_legacy_data(spec: ActionSpec, where: str, kwargs: dict) -> dict:
    declared = {p.name for p in spec.params} | set(spec.handler.uri_params)
    legacy = [k for k in LEGACY_DATA_KEYWORDS
              if isinstance(kwargs.get(k), Mapping) and k not in declared]
    if not legacy:
        return kwargs
    merged = {k: v for k, v in kwargs.items() if k not in legacy}
    for keyword in legacy:
        if not all(isinstance(name, str) for name in kwargs[keyword]):
            raise ParameterError(f"{where}(): the {keyword}= dict may only have text keys "
                                 "(the parameter names)")
        merged.update(kwargs[keyword])
    shown = ", ".join(f"{k}=..." for k in merged)
    warnings.warn(f"passing a {legacy[0]}= dict is deprecated; call {where}({shown}) instead",
                  DeprecationWarning, stacklevel=4)
    return merged


def _undeclared(where: str, name: str, declared: Mapping, strict: bool) -> None:
    close = close_names(name, declared)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    message = (f"{where}() does not declare {name!r} and MAAS ignores unknown names{hint}")
    if strict:
        raise ParameterError(message)
    warnings.warn(message, UndeclaredParameterWarning, stacklevel=5)


def _values(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [v for v in value if v is not None]
    return [value]


def _encode(value: Any, kind: str, name: str) -> Any:
    if kind == "base64" and isinstance(value, (bytes, bytearray)):
        # MAAS wants user_data base64-encoded; bytes are the user's plain text, a str is
        # sent as given (the CLI's behaviour, so already-encoded text still works).
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class Action:
    """One MAAS action bound to a client: call it to send the request.

    ``doc``, ``params``, ``title`` and the real call signature come from the server's
    description; ``help(action)`` and IPython's ``action?`` show them.
    """

    def __init__(self, client: "Client", spec: ActionSpec):
        self.client, self.spec = client, spec
        handler = spec.handler
        self.__name__ = spec.python_name
        self.__qualname__ = f"{handler.python_name}.{spec.python_name}"
        self.__doc__ = spec.doc or spec.title

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.client._invoke(self.spec, args, kwargs)

    name = property(lambda self: self.spec.name)
    cli_name = property(lambda self: self.spec.cli_name)
    method = property(lambda self: self.spec.method)
    op = property(lambda self: self.spec.op)
    restful = property(lambda self: self.spec.restful)
    doc = property(lambda self: self.spec.doc, doc="The action's doc text from the server.")
    title = property(lambda self: self.spec.title)
    params = property(lambda self: self.spec.params,
                      doc="Parameters the doc declares: name, type, kind, required, description.")
    uri_params = property(lambda self: self.spec.handler.uri_params)

    @property
    def __signature__(self) -> inspect.Signature:
        return action_signature(self.spec)

    def __repr__(self) -> str:
        return f"<action {self.__qualname__}{action_signature(self.spec)}: {self.spec.title}>"

    def _repr_html_(self) -> str:
        from .helptext import action_html
        return action_html(self.spec)


def action_signature(spec: ActionSpec) -> inspect.Signature:
    """URI parameters first (positional or keyword), then the documented data parameters
    (keyword-only, default None), then ``**extra`` for anything undocumented."""
    kinds = inspect.Parameter
    params = [kinds(n, kinds.POSITIONAL_OR_KEYWORD) for n in spec.handler.uri_params
              if n.isidentifier()]
    seen = {p.name for p in params}
    for p in spec.params:
        if p.name.isidentifier() and p.name not in seen and not _is_keyword(p.name):
            seen.add(p.name)
            params.append(kinds(p.name, kinds.KEYWORD_ONLY, default=None))
    params.append(kinds("extra", kinds.VAR_KEYWORD))
    return inspect.Signature(params)


def _is_keyword(name: str) -> bool:
    return python_name(name) != name.replace("-", "_")


class Handler:
    """One MAAS resource (``client.machines``, ``client.machine`` ...): its actions are
    attributes, listed by ``dir()`` for tab completion."""

    def __init__(self, client: "Client", spec: HandlerSpec):
        self.client, self.spec = client, spec
        self._actions: dict[str, Action] = {}
        self.__doc__ = spec.doc

    name = property(lambda self: self.spec.cli_name, doc="The CLI's name for this handler.")
    doc = property(lambda self: self.spec.doc)
    uri_params = property(lambda self: self.spec.uri_params)

    @property
    def actions(self) -> dict[str, Action]:
        """Python name -> bound action, for every action of this handler."""
        return {name: self.action(name) for name in self.spec.actions}

    def action(self, name: str) -> Action:
        """The action called ``name`` (``is_registered`` or ``is-registered``)."""
        spec = self.spec.action(name)
        bound = self._actions.get(spec.python_name)
        if bound is None:
            bound = self._actions[spec.python_name] = Action(self.client, spec)
        return bound

    def __getattr__(self, name: str) -> Action:
        if name.startswith("__") or name.startswith("_repr"):
            raise AttributeError(name)
        return self.action(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.spec.actions))

    def __repr__(self) -> str:
        names = ", ".join(a.cli_name for a in self.spec.actions.values())
        return f"<handler {self.spec.cli_name} ({self.spec.path}): {names}>"

    def _repr_html_(self) -> str:
        from .helptext import handler_html
        return handler_html(self.spec)
