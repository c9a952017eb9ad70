"""A small fake MAAS HTTP server for tests: real HTTP over loopback, nothing mocked.

Use the ``fake_server`` fixture by importing it into a test module (run the tests with
``python -m pytest`` from the project root, so ``tests`` is importable)::

    from tests.fakeserver import Answer, fake_server  # noqa: F401  (fake_server is a fixture)

    def test_whoami(fake_server):
        fake_server.queue(Answer(200, {"username": "admin"}, {"X-MAAS-API-Hash": "abc"}))
        client = Client(fake_server.maas_url, api_key="ck:tk:ts", description=doc)
        assert client.users.whoami() == {"username": "admin"}
        [seen] = fake_server.requests
        assert (seen.method, seen.path) == ("GET", "/MAAS/api/2.0/users/")
        assert seen.query == [("op", "whoami")]

What the server answers:

* queued :class:`Answer` objects first, in order (``fake_server.queue(a, b, ...)``);
* then ``fake_server.handler(request)`` (assign your own function of a :class:`Recorded`);
  by default 200 with an empty JSON object.

An ``Answer`` body that is ``bytes`` is sent as is, a ``str`` as ``text/plain`` UTF-8, anything
else as JSON; ``headers`` override the Content-Type. ``Answer(drop=True)`` closes the connection
without a reply, ``Answer(delay=0.5)`` waits before answering. Every request is recorded in
``fake_server.requests`` (method, path, query pairs, headers, raw body, multipart parts);
errors raised while serving (other than a client that went away) land in ``fake_server.errors``
and fail the test.

``FakeServer(ssl_context=ctx)`` serves HTTPS (e.g. with a ``trustme`` certificate).
"""

from __future__ import annotations

import collections
import email.parser
import email.policy
import json
import socketserver
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest


@dataclass
class Answer:
    """What the fake server sends back for one request."""

    status: int = 200
    body: object = b""
    headers: dict = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # seconds to wait before answering (or dropping)

    def encoded(self) -> tuple[bytes, dict]:
        """The body as bytes, and the headers with a Content-Type that fits it."""
        if isinstance(self.body, bytes):
            return self.body, dict(self.headers)
        if isinstance(self.body, str):
            return self.body.encode(), {"Content-Type": "text/plain; charset=utf-8", **self.headers}
        return json.dumps(self.body).encode(), {"Content-Type": "application/json", **self.headers}


@dataclass
class Recorded:
    """One request as the server saw it. ``headers`` look names up case-insensitively."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: Message
    body: bytes
    parts: list[tuple[str, str | None, bytes]]  # multipart: (name, filename or None, content)

    @property
    def params(self) -> dict[str, list[str]]:
        """The query as name -> values (a repeated name gives several)."""
        return _grouped(self.query)

    @property
    def form(self) -> dict[str, list[str]]:
        """The multipart parts as name -> values, decoded as UTF-8 text."""
        return _grouped((name, data.decode("utf-8", "replace")) for name, _, data in self.parts)


def _grouped(pairs) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """The parts of a ``multipart/form-data`` body, parsed by the stdlib ``email`` package."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return [(part.get_param("name", header="content-disposition"), part.get_filename(),
             part.get_payload(decode=True) or b"") for part in message.iter_parts()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real MAAS offers
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def do_GET(self) -> None:
        self.server.fake._serve(self)

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler asleep in a delay must not hold up close()

    def server_bind(self) -> None:
        # Skip HTTPServer's reverse DNS lookup of the address: slow, and never needed here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        self.fake._error()


class FakeServer:
    """A threaded HTTP(S) server on 127.0.0.1 that records requests and answers as told."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self.requests: list[Recorded] = []
        self.errors: list[BaseException] = []
        self.handler = lambda request: Answer(200, {})
        self._answers: collections.deque[Answer] = collections.deque()
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        scheme = "https" if ssl_context is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def maas_url(self) -> str:
        """The URL a user would give: ``http://127.0.0.1:PORT/MAAS``."""
        return self.url + "/MAAS"

    def queue(self, *answers: Answer) -> None:
        """Answer the next requests with these, in order."""
        with self._lock:
            self._answers.extend(answers)

    def close(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FakeServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        recorded = self._record(handler)
        with self._lock:
            self.requests.append(recorded)
            answer = self._answers.popleft() if self._answers else None
        answer = answer or self.handler(recorded)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:
            handler.close_connection = True
            return
        body, headers = answer.encoded()
        handler.send_response(answer.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def _record(handler: BaseHTTPRequestHandler) -> Recorded:
        body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        url = urlsplit(handler.path)
        content_type = handler.headers.get("Content-Type", "")
        parts = parse_multipart(content_type, body) if content_type.startswith("multipart/") else []
        return Recorded(handler.command, url.path, parse_qsl(url.query, keep_blank_values=True),
                        handler.headers, body, parts)

    def _error(self) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, ssl.SSLError)):  # a client that went away
            self.errors.append(error)


@pytest.fixture
def fake_server():
    """A running :class:`FakeServer` on 127.0.0.1, stopped after the test; an error raised
    while serving fails the test."""
    with FakeServer() as server:
        yield server
    assert not server.errors, f"the fake server failed: {server.errors!r}"
