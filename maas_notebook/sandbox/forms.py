"""Request parameters: the query string, urlencoded forms and multipart forms.

Multipart bodies are parsed with the standard library's ``email`` package, which also undoes a
part's ``Content-Transfer-Encoding: base64`` — the official ``maas`` CLI encodes every part that
way, while requests-based clients send parts as they are.
"""

from __future__ import annotations

import email.parser
import email.policy
from urllib.parse import parse_qsl

from .api import ApiError, bad_request

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class Params:
    """Parameter values by name; a name may repeat (lists travel as repeated keys)."""

    def __init__(self, pairs=(), files=None):
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)
        #: Uploaded file parts: name -> bytes.
        self.files: dict[str, bytes] = dict(files or {})

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def names(self) -> list[str]:
        return list(self._values)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The last value given for ``name`` (as Django's QueryDict does), or ``default``."""
        values = self._values.get(name)
        return values[-1] if values else default

    def list(self, name: str) -> list[str]:
        """Every value given for ``name``, in order; commas do not split."""
        return list(self._values.get(name, []))

    def required(self, name: str) -> str:
        """The value of a required parameter; 400 with MAAS's field message if missing."""
        value = self.get(name)
        if value is None or value == "":
            raise bad_request(name, "This field is required.")
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        raise bad_request(name, f"'{value}' is not a valid boolean: use true or false.")

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(float(value))
        except ValueError:
            raise bad_request(name, "Enter a whole number.") from None

    def without(self, name: str) -> "Params":
        """A copy without ``name`` (the ``op`` selects the action; it is no parameter)."""
        return Params([(key, value) for key, value in self.items() if key != name], self.files)

    def items(self):
        """``(name, value)`` pairs, repeated names included, in order."""
        return [(name, value) for name, values in self._values.items() for value in values]


def parse_query(query: str) -> Params:
    """Parameters from a URL's query string."""
    return Params(parse_qsl(query, keep_blank_values=True))


def parse_body(content_type: str, body: bytes) -> Params:
    """Parameters from a POST or PUT body, by its content type (no body: no parameters)."""
    if not body:
        return Params()
    kind = content_type.split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return parse_multipart(content_type, body)
    if kind == "application/x-www-form-urlencoded":
        return Params(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    raise ApiError(415, f"Unsupported Content-Type {kind!r}: send multipart/form-data.")


def parse_multipart(content_type: str, body: bytes) -> Params:
    """Fields and files of a ``multipart/form-data`` body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    boundary = message.get_boundary()
    if boundary and body.strip() == f"--{boundary}--".encode("latin-1"):
        return Params()  # an empty POST: a body that only closes the multipart
    if not message.is_multipart():
        raise ApiError(400, "Malformed multipart/form-data body: no parts found.")
    pairs, files = [], {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name is None:
            continue
        data = part.get_payload(decode=True) or b""  # decodes base64 parts, as the CLI sends
        if part.get_filename() is not None:
            files[name] = data
        else:
            charset = part.get_content_charset() or "utf-8"
            pairs.append((name, data.decode(charset, "replace")))
    return Params(pairs, files)
