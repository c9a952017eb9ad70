"""The only module that talks HTTP to MAAS.

:class:`Transport` signs each request with the API key (OAuth 1.0a PLAINTEXT, as the official
``maas`` CLI does), sends parameters the way MAAS reads them (query string for GET and DELETE,
``multipart/form-data`` for POST and PUT), retries idempotent GETs after a dropped connection
or a 503, checks TLS, decodes answers by Content-Type, and turns every failure into one of
the :mod:`maas_notebook.errors` (the encoding and decoding themselves live in
:mod:`maas_notebook.payload`)::

    transport = Transport(api_root("http://10.0.0.2:5240/MAAS"), Credentials.parse(key))
    transport.request("GET", transport.root + "users/", op="whoami").value
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import secrets
import socket
import ssl
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from . import errors
from .payload import Reply, decode, encode, retry_after_seconds

_log = logging.getLogger(__name__)

API_PREFIX = "/api/2.0/"
MAX_RETRY_DELAY = 30.0  # seconds; a longer Retry-After is cut to this
URL_EXAMPLE = "http://10.0.0.2:5240/MAAS"
_warned_insecure: set[str] = set()  # API roots already warned about insecure=True


class InsecureTransportWarning(UserWarning):
    """TLS certificate verification is off (``insecure=True``)."""


@dataclass(frozen=True)
class Credentials:
    """A MAAS API key, split into its OAuth parts. Its ``repr`` hides the token secret."""

    consumer_key: str
    token_key: str
    token_secret: str

    @classmethod
    def parse(cls, api_key: str) -> "Credentials":
        """Split ``consumer_key:token_key:token_secret`` (what ``maas apikey`` prints)."""
        parts = api_key.split(":") if isinstance(api_key, str) else []
        if len(parts) != 3 or not all(parts) or _has_space(api_key):
            # Never echo the key: it is a secret, even when mistyped.
            raise errors.ConfigurationError(
                "the API key must be consumer_key:token_key:token_secret (three non-empty parts, "
                "no spaces); get one with `maas apikey --username NAME` or from the web UI")
        return cls(*parts)

    def __repr__(self) -> str:
        return (f"Credentials(consumer_key={self.consumer_key!r}, "
                f"token_key={self.token_key!r}, token_secret='<redacted>')")


def api_root(url: str) -> str:
    """The API root ``…/MAAS/api/2.0/`` of a MAAS URL given with or without a trailing
    slash or ``/api/2.0/``."""
    text = url.strip() if isinstance(url, str) else ""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        # Not echoed: a swapped url/api_key would print the key.
        raise errors.ConfigurationError(
            f"the MAAS URL must start with http:// or https:// (e.g. {URL_EXAMPLE})")
    if not _has_host_and_port(parts) or parts.query or parts.fragment or _has_space(text):
        raise errors.ConfigurationError(f"not a MAAS URL: {text!r}; give one like {URL_EXAMPLE}")
    path = parts.path.rstrip("/")
    path = path[: -len("/api/2.0")] if path.endswith("/api/2.0") else path
    return urlunsplit((parts.scheme.lower(), parts.netloc, path + API_PREFIX, "", ""))


def _has_space(text: str) -> bool:
    return "".join(text.split()) != text  # str.split() finds any whitespace, at C speed


def _has_host_and_port(parts) -> bool:
    try:
        parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return bool(parts.hostname)


def handler_url(api_root: str, path: str) -> str:
    """The URL of a handler: ``api_root`` + what follows ``/api/2.0/`` in its describe
    ``path``, so a proxy prefix in the user's URL survives (the describe ``uri`` would not)."""
    _, found, rest = path.partition(API_PREFIX)
    if not found:
        raise errors.ResponseError(f"the description's handler path {path!r} is not under "
                                   f"{API_PREFIX}; run refresh() or report it to MAAS")
    return api_root + rest


class _PlaintextAuth(requests.auth.AuthBase):
    """OAuth 1.0a PLAINTEXT with an empty consumer secret, as MAAS expects.

    Everything but the nonce and timestamp is fixed per key, so the header tail is built once;
    MAAS refuses a reused nonce, so each request gets a fresh one.
    """

    def __init__(self, credentials: Credentials):
        def q(text: str) -> str:
            return quote(text, safe="~")
        signature = q("&" + q(credentials.token_secret))  # escaped twice, per RFC 5849
        self._tail = (f'", oauth_version="1.0", oauth_signature_method="PLAINTEXT", '
                      f'oauth_consumer_key="{q(credentials.consumer_key)}", '
                      f'oauth_token="{q(credentials.token_key)}", oauth_signature="{signature}"')

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = (
            f'OAuth realm="OAuth", oauth_nonce="{secrets.token_hex(16)}", '
            f'oauth_timestamp="{int(time.time())}' + self._tail)
        return request

    def __repr__(self) -> str:
        return "<OAuth PLAINTEXT, secret redacted>"


def _anonymous(request: requests.PreparedRequest) -> requests.PreparedRequest:
    # An explicit no-op auth stops requests from sending ~/.netrc credentials to MAAS.
    return request


class Transport:
    """One keep-alive HTTP session to one MAAS API root.

    Parameters:
        root: the API root (see :func:`api_root`).
        credentials: the API key, or None for anonymous access.
        timeout: seconds, or ``(connect, read)``.
        retries: how many times a GET is tried again after a dropped connection or a 503.
        backoff: the first pause between tries, doubled each time (a ``Retry-After`` wins).
        cacerts: the CA certificate(s) MAAS uses, as a PEM file path or as PEM text.
        insecure: skip certificate verification (warns once).
    """

    def __init__(self, root: str, credentials: Credentials | None = None, *,
                 timeout: float | tuple[float, float] = (10.0, 120.0), retries: int = 3,
                 backoff: float = 0.5, cacerts: str | None = None, insecure: bool = False):
        self.root = api_root(root)
        self._who = (f"{credentials.consumer_key}:{credentials.token_key}:…" if credentials
                     else "anonymous")
        self._auth = _PlaintextAuth(credentials) if credentials else _anonymous
        self._timeout, self._retries, self._backoff = timeout, max(0, int(retries)), backoff
        # verify goes with every request: a session-wide value loses to REQUESTS_CA_BUNDLE.
        self._verify = _verify_option(self.root, cacerts, insecure)
        # Made on the first request: a client built from a warm cache may never send one,
        # and building a Session is a sizeable share of a warm start.
        self._pool: requests.Session | None = None
        self._pool_lock = threading.Lock()

    @property
    def _session(self) -> requests.Session:
        if self._pool is None:
            with self._pool_lock:  # threads share a client: make exactly one session
                if self._pool is None:
                    session = requests.Session()
                    adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    session.headers["User-Agent"] = (
                        f"maas-notebook python-requests/{requests.__version__}")
                    self._pool = session
        return self._pool

    def request(self, method: str, url: str, *, op: str | None = None,
                data: list[tuple[str, object]] | None = None, action: str = "") -> Reply:
        """Send one call and return its decoded :class:`Reply`; errors raise a MAASError.

        ``url`` is complete (URI parameters filled in); ``op`` goes in the query string;
        ``data`` is ``(name, value)`` pairs: the query for GET and DELETE, multipart for
        POST and PUT. Only GET is retried: a repeated POST could deploy twice.
        """
        method = method.upper()
        url, body, headers = encode(method, url, op, data)
        tries, attempt = (1 + self._retries if method == "GET" else 1), 1
        while True:
            try:
                response = self._send(method, url, body, headers)
            except requests.RequestException as exc:
                if attempt >= tries or not _retryable(exc):
                    raise _translate(exc, method, url, self._timeout) from exc
                retry_after, why = None, _why(exc, "connection failed")
            else:
                if response.status_code != 503 or attempt >= tries:
                    return decode(response.status_code, response.headers, response.content,
                                  method, url, action)
                retry_after, why = response.headers.get("Retry-After"), "503 Service Unavailable"
            self._pause(attempt, retry_after, f"{method} {errors.short_url(url)}", why)
            attempt += 1

    def get_json(self, url: str) -> tuple[object, str | None]:
        """GET ``url``; its decoded value and the server's API hash (for the describe call)."""
        reply = self.request("GET", url)
        return reply.value, reply.api_hash

    def close(self) -> None:
        """Close the pooled connections."""
        if self._pool is not None:
            self._pool.close()

    def __repr__(self) -> str:
        return f"<maas_notebook.Transport {self.root} ({self._who})>"

    def _send(self, method: str, url: str, body: bytes | None, headers: dict | None):
        debug = _log.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if debug else 0.0
        # Redirects are not followed: the copy would reuse the nonce and a POST would turn
        # into a GET; decode() tells the user which URL to use instead.
        response = self._session.request(
            method, url, data=body, headers=headers, auth=self._auth, timeout=self._timeout,
            verify=self._verify, allow_redirects=False)
        if debug:
            _log_exchange(response, time.perf_counter() - started)
        return response

    def _pause(self, attempt: int, retry_after: str | None, call: str, why: str) -> None:
        delay = retry_after_seconds(retry_after)
        if delay is None:
            delay = self._backoff * 2 ** (attempt - 1)
        delay = min(delay, MAX_RETRY_DELAY)
        _log.info("retrying %s in %.2f s (%s)", call, delay, why)
        time.sleep(delay)


def _log_exchange(response: requests.Response, elapsed: float) -> None:
    request = response.request
    headers = {name: "<redacted>" if name.lower() == "authorization" else value
               for name, value in request.headers.items()}
    _log.debug("%s %s -> %s in %.3f s; request headers %s",
               request.method, request.url, response.status_code, elapsed, headers)


def _retryable(exc: requests.RequestException) -> bool:
    """A connection that failed or dropped; never TLS (it will fail again) or a timeout
    (trying again would multiply the user's wait)."""
    dropped = isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError))
    return dropped and not isinstance(exc, (requests.exceptions.SSLError, requests.Timeout))


def _translate(exc: requests.RequestException, method: str, url: str, timeout) -> errors.MAASError:
    """The MAASError for a requests exception (raised ``from`` it by the caller)."""
    call = f"{method} {errors.short_url(url)}"
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if isinstance(exc, requests.exceptions.SSLError):
        kind, message = errors.TLSError, (
            f"TLS failed for {call} ({_why(exc, 'handshake failed')}); pass cacerts= with the "
            "MAAS CA certificate, or insecure=True to skip the check")
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        kind, message = errors.TimeoutError, (
            f"could not connect within {connect:g} s for {call}; check the URL, the network "
            "and that MAAS is running")
    elif isinstance(exc, requests.Timeout):
        kind, message = errors.TimeoutError, (
            f"no answer within {read:g} s to {call}; MAAS may be busy: try again, or pass a "
            "larger timeout=")
    elif isinstance(exc, (requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        kind, message = errors.ConnectError, (
            f"cannot reach MAAS for {call} ({_why(exc, 'connection failed')}); check the URL "
            "and that MAAS is running")
    else:
        kind, message = errors.TransportError, f"{type(exc).__name__} for {call}: {exc}"
    return kind(errors.one_line(message, 400), method=method, url=url)


_REASONS = (  # checked in order: RemoteDisconnected is also a ConnectionResetError
    (http.client.RemoteDisconnected, "the server closed the connection without answering"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (socket.gaierror, "host name not found"),
    (http.client.IncompleteRead, "the answer was cut short"),
)


def _why(exc: BaseException, default: str) -> str:
    """A few words on the root cause, found anywhere in the chain urllib3 builds."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause.verify_message or "certificate verification failed"
        for kind, reason in _REASONS:
            if isinstance(cause, kind):
                return reason
    return default


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen, todo = set(), [exc]
    while todo:
        cause = todo.pop(0)
        if isinstance(cause, BaseException) and id(cause) not in seen:
            seen.add(id(cause))
            yield cause
            todo += [getattr(cause, "reason", None), cause.__cause__, cause.__context__,
                     *cause.args]


def _verify_option(root: str, cacerts: str | None, insecure: bool) -> bool | str:
    """What requests' ``verify=`` gets: True, False, or a CA bundle path."""
    if insecure:
        if root not in _warned_insecure:  # once per server, not per client or per call
            _warned_insecure.add(root)
            warnings.warn(f"TLS certificate verification is off for {root} (insecure=True): "
                          "anyone on the network path can pose as MAAS",
                          InsecureTransportWarning, stacklevel=4)
            # urllib3 would otherwise repeat its own warning on every single request.
            warnings.filterwarnings("ignore", "Unverified HTTPS request")
        return False
    if cacerts is None:
        return True
    text = os.fspath(cacerts)
    if "-----BEGIN" in text:
        return str(_private_pem(text))
    path = Path(text).expanduser()
    if not path.exists():
        raise errors.ConfigurationError(f"CA certificate file not found: {path}; pass cacerts= "
                                        "as the path of the MAAS CA certificate (PEM) or its text")
    return str(path)


def _private_pem(pem: str) -> Path:
    """Write PEM text (how ``maas login`` stores it) once, to a file only the user can read."""
    folder = _cache_dir() / "cacerts"
    path = folder / (hashlib.sha256(pem.encode()).hexdigest()[:32] + ".pem")
    try:
        if not path.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")  # created with mode 0600
            with os.fdopen(fd, "w") as out:
                out.write(pem)
            os.replace(temp, path)
    except OSError as exc:
        raise errors.ConfigurationError(
            f"cannot write the CA certificate to {folder} ({exc.strerror}); pass cacerts= as "
            "the path of a PEM file instead") from exc
    return path


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "maas-notebook"
