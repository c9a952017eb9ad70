"""A local MAAS stand-in: a real HTTP server that answers like a MAAS 3.x region API.

::

    from maas_notebook.sandbox import Sandbox

    with Sandbox(machines=20, deploy_seconds=0.5) as sb:
        sb.url          # "http://127.0.0.1:PORT/MAAS/"
        sb.api_key      # the admin's "consumer_key:token_key:token_secret"
        ...             # any MAAS client: ours, the official CLI, plain requests

It listens on loopback only, generates its inventory from ``seed``, simulates deploys and
releases in (accelerated) time, serves its own describe document (or a real one given as
``describe``), and lets tests inject faults (``sb.faults``), fail deploys
(``sb.state.fail_next``), change the API hash (``sb.set_api_hash_salt``) and count what
clients sent (``sb.machine_requests``, ``sb.log``). See ``maas-notebook sandbox --help`` for
running it from a shell.
"""

from __future__ import annotations

import threading

from .auth import Authenticator
from .describe import Description
from .dispatch import Dispatcher
from .faults import Faults
from .server import SandboxHTTPServer
from .state import ADMIN, State

__all__ = ["Sandbox", "ADMIN"]


class Sandbox:
    """A sandbox MAAS served from a background thread; ``with`` starts and stops it.

    :param machines: how many machines to generate.
    :param deploy_seconds: how long a deploy takes (±20 %); releases take a quarter of it,
        disk erasing half.
    :param seed: the inventory, the timing jitter and the failures follow from it.
    :param port: the port to listen on; 0 picks a free one (kept across stop/start).
    :param host: 127.0.0.1, localhost or ::1 — nothing else is allowed.
    :param api_key: the admin's API key; by default a fresh random one.
    :param describe: a path to a real MAAS describe document to serve instead of ours.
    :param faults: faults to inject from the start, e.g. ``{"unavailable": {"share": 0.2}}``.
    :param fail_rate: the share of deploys that end in Failed deployment.
    :param fail_machines: system_ids or hostnames whose every deploy fails.
    :param log_requests: write a line per request to stderr.
    """

    def __init__(self, machines: int = 20, deploy_seconds: float = 0.5, seed: int = 0,
                 port: int = 0, host: str = "127.0.0.1", api_key: str | None = None,
                 describe=None, faults: dict | None = None, fail_rate: float = 0.0,
                 fail_machines=(), log_requests: bool = False):
        self.host, self.port = host, port
        self.state = State(machines, seed, deploy_seconds, api_key, fail_rate, fail_machines)
        self.description = (Description.from_file(describe) if describe
                            else Description.from_handlers())
        self.faults = Faults(seed)
        self.faults.configure(faults or {})
        self._dispatcher = Dispatcher(self.state, self.description,
                                      Authenticator(self.state.credentials), self.faults)
        self._log_requests = log_requests
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running ------------------------------------------------------------------------

    def start(self) -> "Sandbox":
        """Start serving in a background thread (again on the same port after a stop)."""
        if self._server is None:
            self._server = SandboxHTTPServer(self.host, self.port, self._dispatcher,
                                             self._log_requests)
            self.port = self._server.server_address[1]
            # A short poll interval makes stop() quick; tests start and stop many sandboxes.
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                            name=f"maas-sandbox-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the state is kept for a later :meth:`start`."""
        if self._server is not None:
            self._server.close()
            self._thread.join()
            self._server = self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the console command uses this)."""
        self.start()
        try:
            self._thread.join()
        finally:
            self.stop()

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- what clients need ------------------------------------------------------------

    @property
    def url(self) -> str:
        """The MAAS URL to give a client, e.g. ``http://127.0.0.1:5240/MAAS/``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/MAAS/"

    @property
    def api_key(self) -> str:
        """The admin's API key."""
        return self.state.users[ADMIN].api_key

    def api_key_for(self, username: str) -> str:
        """The API key of any user (``ops`` is a non-admin user that always exists)."""
        with self.state.lock:
            return self.state.users[username].api_key

    def add_user(self, username: str, *, admin: bool = False, email: str = "") -> str:
        """Create a user and return their API key."""
        with self.state.lock:
            return self.state.add_user(username, email, admin).api_key

    # -- what tests inspect and change ------------------------------------------------

    @property
    def api_hash(self) -> str:
        """The hash sent as ``X-MAAS-API-Hash`` and in the describe document."""
        return self.description.hash

    def set_api_hash_salt(self, salt: str) -> None:
        """Change the API hash, as an upgraded server would; ``""`` restores it."""
        self.description.set_salt(salt)

    @property
    def machine_requests(self):
        """Counter of ``(system_id, action)`` -> requests that reached that machine action
        (past faults and authentication, whatever the answer): proof nothing was sent twice."""
        return self._dispatcher.machine_requests

    @property
    def log(self):
        """The latest requests (method, path, op, status, user), oldest first."""
        return self._dispatcher.log
