"""The describe-driven MAAS client.

``Client(url, api_key)`` reads the server's own description (``GET .../api/2.0/describe/``,
cached on disk) and exposes every handler and action of *that* server as Python
attributes, the way the official ``maas`` CLI builds its commands::

    client = Client("http://10.0.0.2:5240/MAAS", api_key="ck:tk:ts")
    client.users.whoami()
    client.machines.read(status="ready", hostname=["a", "b"])
    client.machine.deploy("abc123", distro_series="jammy")

``connect()`` finds the URL and key for you: the environment (``MAAS_URL`` / ``MAAS_API_KEY``),
then your saved profiles and the CLI's ``~/.maascli.db``.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any
from urllib.parse import quote

from .actions import Handler, bind
from .description import ActionSpec, Description
from .errors import ConfigurationError
from .profiles import DescribeCache, find_profile
from .transport import Credentials, Transport, api_root, handler_url


class APIChangedWarning(UserWarning):
    """The server's API hash changed: the client re-read its description."""


class Client:
    """A MAAS server's whole API, built from its description.

    Parameters:
        url: the MAAS URL, e.g. ``http://10.0.0.2:5240/MAAS`` (with or without a trailing
            slash or ``/api/2.0/``).
        api_key: ``consumer_key:token_key:token_secret`` (``maas apikey --username NAME``);
            without one the client is anonymous and has only the anonymous handlers.
        timeout: seconds, or ``(connect, read)``.
        retries: how often an idempotent GET is retried after a dropped connection or a 503.
        cacerts: a CA bundle (path or PEM text) for a MAAS with its own certificate.
        insecure: skip TLS verification (only when you must).
        strict: refuse, instead of warning about, parameter names an action does not declare.
        cache: keep the description on disk so the next start makes no describe request
            (``False`` to disable, or a :class:`DescribeCache`).
        description: a describe document to use instead of fetching one.
    """

    def __init__(self, url: str, api_key: str | None = None, *,
                 timeout: float | tuple[float, float] = (10.0, 120.0), retries: int = 3,
                 cacerts: str | None = None, insecure: bool = False, strict: bool = False,
                 cache: bool | DescribeCache = True, description: dict | None = None,
                 name: str | None = None):
        credentials = Credentials.parse(api_key) if api_key else None
        self._anonymous = credentials is None
        self._transport = Transport(url, credentials, timeout=timeout,
                                    retries=retries, cacerts=cacerts, insecure=insecure)
        self.strict, self.name = strict, name
        self._cache = DescribeCache() if cache is True else (cache or None)
        self._lock = threading.Lock()
        self._refreshed_for: str | None = None
        if description is not None and not is_description(description):
            raise ConfigurationError("description= is not a MAAS describe document (a dict "
                                     "with resources, their handlers and actions)")
        doc = description or (self._cache.load(self.url) if self._cache else None)
        # The cache only ever holds checked documents: a shallow look catches a damaged file
        # without walking every action on each start.
        self._use(doc if is_description(doc, deep=False) else self._fetch_description())

    @property
    def url(self) -> str:
        """The API root every request is made under (``.../MAAS/api/2.0/``)."""
        return self._transport.root

    @property
    def anonymous(self) -> bool:
        """True when the client has no API key (anonymous handlers only)."""
        return self._description.anonymous

    @property
    def description(self) -> Description:
        """The server's description this client was built from."""
        return self._description

    @property
    def handlers(self) -> dict[str, Handler]:
        """Python name -> handler, for every handler this client may use."""
        return {name: self.handler(name) for name in self._description.handlers}

    def handler(self, name: str) -> Handler:
        """The handler called ``name`` (``boot_resources`` or ``boot-resources``)."""
        spec = self._description.handler(name)
        bound = self._handlers.get(spec.python_name)
        if bound is None:
            bound = self._handlers[spec.python_name] = Handler(self, spec)
        return bound

    def refresh(self) -> None:
        """Re-read the server's description (after an upgrade, or when told it changed)."""
        self._use(self._fetch_description())

    def close(self) -> None:
        """Close the connections this client keeps open."""
        self._transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Handler:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.handler(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._description.handlers))

    def __repr__(self) -> str:
        who = "anonymous" if self.anonymous else "authenticated"
        return f"<maas_notebook.Client {self.url} ({who})>"

    # -- internals used by Action -------------------------------------------------------

    def _invoke(self, spec: ActionSpec, args: tuple, kwargs: dict) -> Any:
        uri, data = bind(spec, args, kwargs, self.strict)
        url = handler_url(self.url, spec.handler.path)
        if uri:
            url = url.format(**{k: _segment(v) for k, v in uri.items()})
        reply = self._transport.request(
            spec.method, url, op=spec.op, data=data,
            action=f"{spec.handler.cli_name} {spec.cli_name}")
        self._check_hash(reply.api_hash)
        return reply.value

    def _check_hash(self, api_hash: str | None) -> None:
        # MAAS sends its API hash on every success; a new one means an upgrade changed the
        # API under us. Refresh once per new hash, so a server that flaps cannot loop us.
        if not api_hash or api_hash == self._description.hash:
            return
        with self._lock:
            if api_hash == self._refreshed_for or api_hash == self._description.hash:
                return
            self._refreshed_for = api_hash
        warnings.warn(f"the MAAS API at {self.url} changed (hash {api_hash[:12]}); "
                      "re-reading its description", APIChangedWarning, stacklevel=4)
        self.refresh()

    def _fetch_description(self) -> dict:
        doc, _ = self._transport.get_json(self.url + "describe/")
        if not is_description(doc):
            raise ConfigurationError(
                f"{self.url}describe/ did not return a MAAS API description; "
                "check that the URL points at a MAAS region (e.g. http://host:5240/MAAS)")
        if self._cache:
            self._cache.save(self.url, doc)
        return doc

    def _use(self, doc: dict) -> None:
        self._description = Description(doc, anonymous=self._anonymous)
        self._handlers: dict[str, Handler] = {}


def is_description(doc: Any, deep: bool = True) -> bool:
    """Whether ``doc`` has the shape of a describe document (``deep``: down to every action).
    A server that is not MAAS (or a cache file gone bad) may hold other JSON; better to say
    so now than fail obscurely later."""
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return False
    return all(isinstance(resource, dict) and all(
        side is None or _is_handler(side, deep) for side in (resource.get("anon"), resource.get("auth")))
        for resource in doc["resources"])


def _is_handler(handler: Any, deep: bool) -> bool:
    return (isinstance(handler, dict) and isinstance(handler.get("name"), str)
            and isinstance(handler.get("path"), str) and isinstance(handler.get("params", []), list)
            and isinstance(handler.get("actions"), list) and (not deep or all(
                isinstance(action, dict) and isinstance(action.get("name"), str)
                and isinstance(action.get("method"), str)
                and isinstance(action.get("op"), (str, type(None)))
                and isinstance(action.get("doc"), (str, type(None)))
                for action in handler["actions"])))


def _segment(value: str) -> str:
    """``value`` as one percent-encoded URL path segment. "." and ".." are encoded too: HTTP
    libraries resolve them, so ``interface delete abc ..`` would become ``DELETE /nodes/abc/``."""
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def connect(profile: str | None = None, **options: Any) -> Client:
    """A client for the MAAS you have configured.

    Without ``profile``: ``MAAS_URL`` (or Terraform's ``MAAS_API_URL``), ``MAAS_API_KEY`` and
    ``MAAS_CACERT`` from the environment; else your current ``%maas login`` profile; else
    the CLI's profile named by ``MAAS_PROFILE``, or its only one. With ``profile``: that
    profile, from your own store or the CLI's ``~/.maascli.db`` (read-only, with its CA
    certificates). Other keywords go to :class:`Client`.
    """
    found = find_profile(profile)
    options.setdefault("cacerts", found.cacerts)
    options.setdefault("name", found.name)
    cache = options.get("cache", True)
    if found.description is not None and cache is not False:
        _seed_cache(DescribeCache() if cache is True else cache, found)
    return Client(found.url, found.api_key, **options)


def _seed_cache(cache: DescribeCache, found) -> None:
    # `maas login` stored the server's description in the CLI profile: start from it rather
    # than ask the server again. The API hash check still catches a stale one.
    root = api_root(found.url)
    if not cache.path_for(root).exists() and is_description(found.description):
        cache.save(root, found.description)
