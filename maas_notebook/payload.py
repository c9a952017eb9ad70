"""What travels: call data as MAAS reads it, and answers as Python values. No I/O.

:func:`encode` puts GET and DELETE data in the query string (a list repeats its key) and POST
and PUT data in ``multipart/form-data`` (bytes and files as file parts), with ``op`` always in
the query; :func:`decode` turns an answer into a :class:`Reply` by its Content-Type, or into
the matching :mod:`maas_notebook.errors` exception.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import urlencode

from . import errors

_GET_OR_DELETE = frozenset({"GET", "DELETE"})


@dataclass(frozen=True)
class Reply:
    """A successful answer: ``value`` is decoded (JSON -> objects, text/* -> str, other ->
    bytes, 204 or empty -> None); ``content_type`` is the bare media type, lower-case."""

    status: int
    value: object
    content_type: str
    api_hash: str | None


def encode(method: str, url: str, op: str | None, data) -> tuple[str, bytes | None, dict | None]:
    """The full URL, body and extra headers for one call."""
    pairs = [("op", op)] if op else []
    body = headers = None
    if method in _GET_OR_DELETE:
        pairs += _query_pairs(method, data)
    else:
        body, content_type = _multipart(data)
        headers = {"Content-Type": content_type}
    if pairs:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}"
    return url, body, headers


def _flat(data) -> Iterator[tuple[str, object]]:
    """The ``(name, value)`` pairs, a list value giving one pair per item, None dropped."""
    for name, value in data or ():
        if isinstance(value, (list, tuple)):
            yield from ((name, item) for item in value if item is not None)
        elif value is not None:
            yield name, value


def _is_file(value: object) -> bool:
    return isinstance(value, (bytes, bytearray)) or hasattr(value, "read")


def _as_text(value: object, name: object = None) -> str:
    """``value`` as the text MAAS reads; a ParameterError (before anything is sent) when it
    has none: a str with lone surrogates (bytes that were not UTF-8), a huge int ..."""
    if isinstance(value, bool):  # before str(): MAAS reads "true"/"false", not "True"
        return "true" if value else "false"
    what = "a parameter name" if name is None else f"the value of {_shown(name)}"
    try:
        text = value if isinstance(value, str) else str(value)
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise errors.ParameterError(
            f"{what} is not valid text ({exc.reason} at position {exc.start}: decoded from "
            "bytes that are not UTF-8?); pass proper text, or bytes to upload a file") from exc
    except ValueError as exc:  # e.g. an int beyond Python's digit limit for str()
        raise errors.ParameterError(f"{what} cannot be written as text: "
                                    f"{errors.one_line(exc, 80)}") from exc
    return text


def _shown(name: object) -> str:
    return errors.one_line(repr(name), 60)


def _query_pairs(method: str, data) -> list[tuple[str, str]]:
    pairs = []
    for name, value in _flat(data):
        if _is_file(value):
            raise errors.ParameterError(
                f"{name!r} is bytes or a file, which a {method} cannot carry (its parameters "
                "go in the URL); pass text, or use an action that uploads (POST/PUT)")
        pairs.append((_as_text(name), _as_text(value, name)))
    return pairs


def _multipart(data) -> tuple[bytes, str]:
    """``multipart/form-data`` with one part per pair; bytes and files as file parts."""
    boundary = secrets.token_hex(16)
    chunks = []
    for name, value in _flat(data):
        disposition = f'form-data; name="{_quoted(_as_text(name))}"'
        if _is_file(value):
            content = bytes(value) if isinstance(value, (bytes, bytearray)) else value.read()
            content = _as_text(content, name).encode() if isinstance(content, str) else content
            filename = getattr(value, "name", None)
            # A file name from the OS may hold undecodable bytes (surrogates): show them as "?".
            filename = (os.path.basename(filename).encode("utf-8", "replace").decode()
                        if isinstance(filename, str) else "")
            head = (f'Content-Disposition: {disposition}; filename="{_quoted(filename or name)}"'
                    "\r\nContent-Type: application/octet-stream\r\n")
        else:
            content = _as_text(value, name).encode()
            head = f"Content-Disposition: {disposition}\r\n"
        chunks += [f"--{boundary}\r\n{head}\r\n".encode(), content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    # The HTML form encoding of names inside a quoted header parameter.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def decode(status: int, headers, body: bytes, method: str, url: str, action: str) -> Reply:
    """A successful answer as a :class:`Reply`; an error status, a redirect or a body that
    does not match its Content-Type as the matching MAASError."""
    media, _, params = headers.get("Content-Type", "").partition(";")
    media = media.strip().lower()
    if status >= 400:
        error = errors.http_error(status, method, url, _text(body, params), action)
        if isinstance(error, errors.ServiceUnavailable):  # callers may resend after a 503
            error.retry_after = retry_after_seconds(headers.get("Retry-After"))
        raise error
    if 300 <= status < 400:
        where = headers.get("Location", "elsewhere")
        raise errors.ResponseError(f"{status} from {method} {errors.short_url(url)}: MAAS moved "
                                   f"it to {where}; "
                                   "use that address as the MAAS URL", status=status, url=url)
    if status == 204 or not body:
        value = None
    elif media == "application/json" or media.endswith("+json"):
        value = _json(body, status, method, url, params)
    elif media.startswith("text/"):
        value = _text(body, params)
    else:
        value = body
    return Reply(status, value, media, headers.get("X-MAAS-API-Hash"))


def _json(body: bytes, status: int, method: str, url: str, params: str) -> object:
    try:
        return json.loads(body)
    except ValueError as exc:  # also UnicodeDecodeError
        text = _text(body, params)
        raise errors.ResponseError(
            f"{status} answer to {method} {errors.short_url(url)} claims JSON but is not "
            f"({errors.one_line(text, 80)!r}); check that the URL points at the MAAS API",
            status=status, url=url, body=text) from exc


def _text(body: bytes, params: str) -> str:
    """``body`` decoded with the Content-Type's charset (default UTF-8), never failing."""
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"') or charset
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def retry_after_seconds(retry_after: str | None) -> float | None:
    """A ``Retry-After`` given in seconds; None when absent or an HTTP date."""
    try:
        return max(0.0, float(retry_after))
    except (TypeError, ValueError):
        return None
