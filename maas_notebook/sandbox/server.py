"""The HTTP side: a threading HTTP/1.1 server on loopback that hands every request to a
:class:`~.dispatch.Dispatcher` and writes (or, for an injected fault, drops) the answer."""

from __future__ import annotations

import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .dispatch import Request

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: Idle keep-alive connections are closed after this many seconds.
IDLE_TIMEOUT = 30


class SandboxHTTPServer(ThreadingHTTPServer):
    """Serves one dispatcher; remembers open connections so :meth:`close` can end them."""

    daemon_threads = True
    block_on_close = False  # stop() must not wait for idle keep-alive connections
    request_queue_size = 128  # the default 5 resets connections when many clients arrive at once

    def __init__(self, host: str, port: int, dispatcher, log_requests: bool = False):
        if host not in LOOPBACK:
            raise ValueError(f"the sandbox listens on loopback only (127.0.0.1, localhost or "
                             f"::1), not {host!r}")
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.dispatcher, self.log_requests = dispatcher, log_requests
        self._connections: set = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _RequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can hang on a machine with
        # broken DNS; loopback needs no name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # A client that hangs up, or a connection ended by close(), is no error worth a
        # traceback; anything else is.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def track(self, connection, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close(self) -> None:
        """Stop serving and end every open connection (clients see it closed)."""
        self.shutdown()
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as MAAS clients expect
    # Headers and body go out in two writes; with Nagle on, every answer would wait ~40 ms
    # for the client's delayed ACK.
    disable_nagle_algorithm = True
    server_version = "maas-notebook-sandbox"
    timeout = IDLE_TIMEOUT

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle's algorithm and
        # the client's delayed ACK add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self):
        parts = urlsplit(self.path)
        request = Request(method=self.command, target=self.path, path=parts.path,
                          query=parts.query,
                          headers={name.lower(): value for name, value in self.headers.items()},
                          body=self._read_body(), base_url=self._base_url())
        response = self.server.dispatcher.handle(request)
        if response.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        if response.status != 204:  # "No Content" has neither body nor body headers
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        if not host:
            address, port = self.server.server_address[:2]
            host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
        return f"http://{host}"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")
