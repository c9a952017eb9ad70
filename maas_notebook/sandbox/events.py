"""The event log and ``events query`` with MAAS's paging.

Events are numbered in the order they happen. A query answers newest first, at most ``limit``
(default 100, at most 1000) at or above a minimum ``level`` (default INFO); ``before=ID`` pages
back to older events and ``after=ID`` forward to newer ones. The answer carries ``count``,
``events``, ``prev_uri`` (the next page of older events) and ``next_uri`` (newer events).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from .api import ApiError, bad_request

#: Level names and their numeric values; AUDIT (user actions) sorts below DEBUG, as in MAAS.
LEVELS = {"AUDIT": 0, "DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
QUERY_PATH = "/MAAS/api/2.0/events/"


@dataclass(frozen=True)
class Event:
    id: int
    level: str
    type: str
    description: str
    system_id: str
    hostname: str
    username: str
    created: float

    def as_dict(self) -> dict:
        return {"username": self.username, "node": self.system_id, "hostname": self.hostname,
                "id": self.id, "level": self.level,
                "created": time.strftime("%a, %d %b. %Y %H:%M:%S", time.gmtime(self.created)),
                "type": self.type, "description": self.description}


class EventLog:
    """Every event, oldest first. Not locked itself: the state's lock guards it."""

    def __init__(self):
        self.events: list[Event] = []

    def add(self, machine, type_: str, description: str = "", level: str = "INFO",
            username: str | None = None, when: float | None = None) -> Event:
        event = Event(len(self.events) + 1, level, type_, description, machine.system_id,
                      machine.hostname, username or "unknown",
                      time.time() if when is None else when)
        self.events.append(event)
        return event

    def query(self, params, zone_of) -> dict:
        """``events query``: ``params`` are the request's; ``zone_of(system_id)`` names a
        machine's current zone (for the ``zone`` filter)."""
        level_name = (params.get("level") or "INFO").upper()
        if level_name not in LEVELS:
            raise bad_request("level", f"Select a valid choice. {level_name} is not one of the "
                              f"available choices: {', '.join(sorted(LEVELS))}.")
        limit = params.int("limit", DEFAULT_LIMIT)
        if limit > MAX_LIMIT:
            raise ApiError(400, f"Requested number of events {limit} is greater than limit: "
                                f"{MAX_LIMIT}")
        before, after = params.int("before"), params.int("after")
        if before is not None and after is not None:
            raise ApiError(400, "There is no support for both before and after.")
        keep = _filter(params, LEVELS[level_name], zone_of)
        if after is not None:
            newer = [e for e in self.events if e.id > after and keep(e)][:limit]
            shown = newer[::-1]
        else:
            shown = []
            for event in reversed(self.events):
                if len(shown) >= max(limit, 0):
                    break
                if (before is None or event.id < before) and keep(event):
                    shown.append(event)
        if shown:
            newest, oldest = shown[0].id, shown[-1].id
        else:  # keep the paging position so a client polling next_uri does not lose its place
            oldest = before if before is not None else (after + 1 if after is not None else 1)
            newest = oldest - 1
        base = _base_uri(params)
        return {"count": len(shown), "events": [event.as_dict() for event in shown],
                "next_uri": f"{base}&after={newest}", "prev_uri": f"{base}&before={oldest}"}


def _filter(params, min_level: int, zone_of):
    hostnames, system_ids = set(params.list("hostname")), set(params.list("id"))
    zones, owners = set(params.list("zone")), set(params.list("owner"))

    def keep(event: Event) -> bool:
        return (LEVELS[event.level] >= min_level
                and (not hostnames or event.hostname in hostnames)
                and (not system_ids or event.system_id in system_ids)
                and (not owners or event.username in owners)
                and (not zones or zone_of(event.system_id) in zones))
    return keep


def _base_uri(params) -> str:
    kept = [(name, value) for name, value in params.items()
            if name not in ("op", "before", "after")]
    return f"{QUERY_PATH}?op=query" + (f"&{urlencode(kept)}" if kept else "")
