"""The describe document the sandbox serves, its hash, and the routes it implies.

By default the document is written from the sandbox's own handler table
(:mod:`.handlers`); ``Description.from_file`` serves a real MAAS document instead. Either way
``uri`` fields carry the host the client used, as MAAS does, and the ``hash`` (sent as
``X-MAAS-API-Hash`` with every response) covers everything but those ``uri`` fields.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from .handlers import RESOURCES

DESCRIBE_PATH = "/MAAS/api/2.0/describe/"


@dataclass
class Route:
    """A resource's URL: the pattern, its parameter names, and its two sides' descriptions."""

    path: str
    pattern: re.Pattern
    params: list[str]
    auth: dict | None
    anon: dict | None


class Description:
    """A describe document (without ``uri`` and ``hash``), its hash and its routes."""

    def __init__(self, document: dict, base_hash: str | None = None):
        self._template = document
        self._base_hash = base_hash
        self._salt = ""
        self._rendered: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.routes = _routes(document)
        self.hash = self._compute_hash()

    @classmethod
    def from_handlers(cls) -> "Description":
        """The sandbox's own document, from its handler table."""
        resources = []
        for auth, anon in RESOURCES:
            resources.append({"name": (auth or anon).name,
                              "anon": anon.describe("") if anon else None,
                              "auth": auth.describe("") if auth else None})
        return cls(_strip_uris({"doc": "MAAS API", "resources": resources,
                                "handlers": _flat_handlers(resources)}))

    @classmethod
    def from_file(cls, path: str | Path) -> "Description":
        """A real describe document from ``path``; ValueError if it is not one."""
        try:
            document = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read a describe document from {path}: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
            raise ValueError(f"{path} is not a MAAS describe document (no 'resources' list)")
        base_hash = document.pop("hash", None)
        return cls(_strip_uris(document), base_hash)

    def set_salt(self, salt: str) -> None:
        """Change the hash (as an upgraded MAAS would) without changing the document."""
        with self._lock:
            self._salt = salt
            self.hash = self._compute_hash()
            self._rendered.clear()

    def _compute_hash(self) -> str:
        if self._base_hash and not self._salt:
            return self._base_hash  # a loaded document keeps the hash its server sent
        content = self._base_hash or json.dumps(self._template, sort_keys=True)
        return hashlib.sha1((content + self._salt).encode()).hexdigest()

    def render(self, base_url: str) -> bytes:
        """The document as served to a client that reached us at ``base_url``."""
        with self._lock:
            if base_url not in self._rendered:
                document = copy.deepcopy(self._template)
                for side in _sides(document):
                    side["uri"] = base_url + side["path"]
                document["hash"] = self.hash
                self._rendered[base_url] = json.dumps(document).encode()
            return self._rendered[base_url]

    def route(self, path: str):
        """``(route, {param: value})`` for a request path, or ``None``."""
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                return route, dict(zip(route.params, found.groups()))
        return None


def _sides(document: dict):
    """Every handler description in the document (resource sides and the flat list)."""
    for resource in document.get("resources", []):
        for side in ("anon", "auth"):
            if resource.get(side):
                yield resource[side]
    yield from document.get("handlers", [])


def _strip_uris(document: dict) -> dict:
    for side in _sides(document):
        side.pop("uri", None)
    return document


def _flat_handlers(resources: list[dict]) -> list[dict]:
    """The legacy flat ``handlers`` list: every distinct handler once."""
    seen, flat = set(), []
    for resource in resources:
        for side in ("anon", "auth"):
            handler = resource[side]
            if handler and handler["name"] not in seen:
                seen.add(handler["name"])
                flat.append(copy.deepcopy(handler))
    return flat


def _routes(document: dict) -> list[Route]:
    routes, seen = [], set()
    for resource in document["resources"]:
        auth, anon = resource.get("auth"), resource.get("anon")
        path = (auth or anon or {}).get("path")
        if not path or path in seen:
            continue
        seen.add(path)
        names = re.findall(r"{(\w+)}", path)
        regex = re.sub(r"\\{\w+\\}", "([^/]+)", re.escape(path.rstrip("/")))
        routes.append(Route(path, re.compile(regex + "/?$"), names, auth, anon))
    # The describe document is served separately; literal paths win over parameters.
    routes.sort(key=lambda route: len(route.params))
    return routes
