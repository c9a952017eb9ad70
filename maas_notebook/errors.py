"""Every error maas_notebook raises, as one tree rooted at :class:`MAASError`.

::

    MAASError
    ├── ConfigurationError        bad URL or API key, no credentials or profile found
    ├── UnknownNameError          no such handler / action (suggests close names); also AttributeError
    ├── ParameterError            missing URI parameter, undeclared parameter in strict mode; also TypeError
    ├── TransportError            the request never got an HTTP answer
    │   ├── ConnectError          refused, unreachable host, DNS failure, dropped connection
    │   ├── TimeoutError          connect or read timeout
    │   └── TLSError              certificate verification or handshake failure
    ├── ResponseError             an answer that cannot be decoded (HTML, truncated JSON ...)
    ├── HTTPError                 the server answered with an error status (.status .method .url .action .body)
    │   ├── BadRequest            400
    │   ├── Unauthorized          401
    │   ├── Forbidden             403
    │   ├── NotFound              404
    │   ├── Conflict              409
    │   ├── NotImplemented_       501
    │   └── ServerError           other 5xx
    │       └── ServiceUnavailable  503
    └── WaitError                 waiting for machines went wrong
        ├── DeployFailed          machines reached a failure status (.failures)
        └── WaitTimeout           machines did not reach the status in time (.pending)

In IPython and Jupyter every one of them renders as a single line (``_render_traceback_``)
while the cell still fails. Foreign exceptions are translated once, at the boundary that
met them, with ``raise ... from exc`` so the cause stays available to ``%tb`` or a debugger.
"""

from __future__ import annotations

import difflib
from typing import Iterable

#: How much of a response body an error message quotes; the whole body stays on ``.body``.
BODY_EXCERPT_CHARS = 200
#: How much of a URL an error message shows (a long query would flood it); ``.url`` keeps all.
URL_EXCERPT_CHARS = 160


class MAASError(Exception):
    """The root of every error this package raises."""

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback: one line, the cell still fails.
        return [f"{type(self).__name__}: {self}"]


class ConfigurationError(MAASError):
    """The URL, the API key, a profile or the environment cannot be used as given."""


class UnknownNameError(MAASError, AttributeError):
    """No handler or action of that name; the message suggests the closest names.

    It is also an ``AttributeError`` so ``hasattr()`` and ``getattr(obj, name, default)``
    behave as usual on clients and handlers.
    """

    def __init__(self, kind: str, name: str, known: Iterable[str], where: str = "", hint: str = ""):
        self.kind, self.name = kind, name
        self.suggestions = [] if hint else close_names(name, known)
        place = f" in {where}" if where else ""
        if self.suggestions:
            hint = f"did you mean {', '.join(self.suggestions)}?"
        super().__init__(f"no {kind} {name!r}{place}" + (f"; {hint}" if hint else ""))


class ParameterError(MAASError, TypeError):
    """Parameters that cannot be sent as given (missing URI parameter, undeclared name ...)."""


class TransportError(MAASError):
    """The request did not get an HTTP answer. ``__cause__`` holds the underlying error."""

    def __init__(self, message: str, *, method: str = "", url: str = ""):
        self.method, self.url = method, url
        super().__init__(message)


class ConnectError(TransportError):
    """The server could not be reached, or dropped the connection."""


class TimeoutError(TransportError):  # noqa: A001 - deliberately ours; builtins stay reachable
    """The server did not answer in time."""


class TLSError(TransportError):
    """TLS failed: certificate verification or the handshake."""


class ResponseError(MAASError):
    """The server answered, but the answer cannot be understood."""

    def __init__(self, message: str, *, status: int = 0, url: str = "", body: str = ""):
        self.status, self.url, self.body = status, url, body
        super().__init__(message)


class HTTPError(MAASError):
    """The server answered with an error status. The whole body is kept on ``.body``."""

    def __init__(self, status: int, method: str, url: str, body: str = "", action: str = ""):
        self.status, self.method, self.url, self.body, self.action = (
            status, method, url, body, action)
        super().__init__(self._message())

    def _message(self) -> str:
        reason = STATUS_REASONS.get(self.status, "")
        action = f" ({self.action})" if self.action else ""
        text = one_line(self.body)
        detail = f": {text}" if text else ""
        return (f"{self.status} {reason} from {self.method} {short_url(self.url)}{action}"
                f"{detail}").replace("  ", " ")

    def __reduce__(self):
        return (type(self), (self.status, self.method, self.url, self.body, self.action))


class BadRequest(HTTPError):
    """400: MAAS refused the parameters; the body says which."""


class Unauthorized(HTTPError):
    """401: the API key is wrong, revoked, or the clock is more than 300 s off."""


class Forbidden(HTTPError):
    """403: the user may not do this (often: admin only)."""


class NotFound(HTTPError):
    """404: no such object (machine, zone ...) or no such URL."""


class Conflict(HTTPError):
    """409: the object's state does not allow it, or nothing matched an allocation."""


class NotImplemented_(HTTPError):
    """501: the server declares the action but does not implement it (the sandbox does this)."""


class ServerError(HTTPError):
    """5xx: the server failed."""


class ServiceUnavailable(ServerError):
    """503: the server is busy or starting; worth trying again later. ``retry_after`` is
    the pause MAAS asked for (its ``Retry-After``, in seconds), or None when it named none."""

    retry_after: float | None = None


class WaitError(MAASError):
    """Waiting for machines to reach a status did not end as hoped."""


class DeployFailed(WaitError):
    """Machines reached a failure status. ``.failures`` maps system_id to what went wrong:
    a dict with ``hostname``, ``status_name``, ``status_message``, ``error_description``
    and ``events`` (the last few event descriptions)."""

    def __init__(self, failures: dict[str, dict]):
        self.failures = failures
        parts = []
        for system_id, failure in failures.items():
            why = failure.get("status_message") or failure.get("error_description") or ""
            name = failure.get("hostname") or system_id
            parts.append(f"{name} ({system_id}) {failure.get('status_name', '')}"
                         + (f": {why}" if why else ""))
        super().__init__(f"{len(failures)} machine(s) failed: " + "; ".join(parts))


class WaitTimeout(WaitError):
    """Machines did not reach the wanted status in time. ``.pending`` maps system_id to the
    last status seen; ``.failures`` (as on :class:`DeployFailed`) holds machines a bulk
    action already knew had failed or been refused."""

    def __init__(self, pending: dict[str, str], timeout: float, failures: dict | None = None):
        self.pending, self.timeout, self.failures = pending, timeout, failures or {}
        listed = ", ".join(f"{sid} ({status})" for sid, status in list(pending.items())[:10])
        more = f" and {len(pending) - 10} more" if len(pending) > 10 else ""
        failed = (f"; {len(self.failures)} more failed or were refused: "
                  + ", ".join(f"{sid} ({f.get('status_name', '')})"
                              for sid, f in list(self.failures.items())[:10])) if self.failures else ""
        super().__init__(f"{len(pending)} machine(s) still pending after {timeout:g} s: "
                         f"{listed}{more}{failed}")


STATUS_REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large", 414: "URI Too Long",
    500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}

_STATUS_CLASSES = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
                   409: Conflict, 501: NotImplemented_, 503: ServiceUnavailable}


def http_error(status: int, method: str, url: str, body: str = "", action: str = "") -> HTTPError:
    """The most specific :class:`HTTPError` for ``status``."""
    cls = _STATUS_CLASSES.get(status) or (ServerError if status >= 500 else HTTPError)
    return cls(status, method, url, body, action)


def one_line(text: str, limit: int = BODY_EXCERPT_CHARS) -> str:
    """``text`` folded onto one line and cut to ``limit`` characters (with an ellipsis)."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"


def short_url(url: str, limit: int = URL_EXCERPT_CHARS) -> str:
    """``url`` cut to ``limit`` characters (with an ellipsis) for a message."""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def close_names(name: str, known: Iterable[str], count: int = 3) -> list[str]:
    """Up to ``count`` names from ``known`` that look like ``name`` (for "did you mean")."""
    known = list(known)
    found = difflib.get_close_matches(name, known, n=count, cutoff=0.6)
    if not found:  # a prefix or substring match still helps: "mach" -> machine, machines
        found = [k for k in known if k.startswith(name) or (len(name) > 3 and name in k)][:count]
    return found
