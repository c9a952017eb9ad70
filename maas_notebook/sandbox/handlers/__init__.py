"""The sandbox's handler table: every resource it describes, and what simulates each action.

A resource pairs an authenticated handler with an anonymous one (either may be missing), as in
the describe document. Requests find their simulation by (path, method, op), so the same
functions also serve a real MAAS describe document loaded with ``--describe FILE``: whatever
that document declares at a path and op the table knows is simulated; the rest answers 501.
"""

from __future__ import annotations

import re

from .accounts import EVENTS, MAAS, USER, USERS, VERSION
from .inventory import (BOOT_RESOURCES, FABRICS, POOL, POOLS, SUBNETS, TAG, TAGS, VLANS, ZONE,
                        ZONES)
from .machine import MACHINE
from .machines import ANON_MACHINES, MACHINES

#: (authenticated handler, anonymous handler) of every resource, in describe order.
RESOURCES = [
    (MACHINES, ANON_MACHINES), (MACHINE, None), (USERS, None), (USER, None), (ZONES, None),
    (ZONE, None), (POOLS, None), (POOL, None), (TAGS, None), (TAG, None),
    (BOOT_RESOURCES, None), (EVENTS, None), (SUBNETS, None), (FABRICS, None), (VLANS, None),
    (MAAS, None), (None, VERSION),
]


def path_key(path: str) -> str:
    """A path with its parameter names blanked and no trailing slash, so paths of different
    MAAS versions that differ only in parameter names compare equal."""
    return re.sub(r"{\w+}", "{}", path).rstrip("/")


def _index() -> dict:
    found = {}
    for pair in RESOURCES:
        for handler in pair:
            for action in handler.actions if handler else ():
                found.setdefault((path_key(handler.path), action.method, action.op),
                                 (handler, action))
    return found


_SIMULATIONS = _index()


def simulation(path: str, method: str, op: str | None):
    """``(handler, action)`` of the table simulating this call, or ``None``. The action's
    ``func`` is ``None`` for actions declared but not simulated."""
    return _SIMULATIONS.get((path_key(path), method, op))
