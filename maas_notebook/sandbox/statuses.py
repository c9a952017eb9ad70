"""Machine statuses of MAAS 3.x: codes, the names the API returns, and allowed transitions.

Copied by hand from MAAS's own tables (``NODE_STATUS``, ``NODE_TRANSITIONS`` and the failure map
of the 3.5 – 3.8 branches) so the sandbox needs nothing outside the project; a test checks this
copy against ``../shared/fixtures/status/maas_node_status_by_version.json``.
"""

from __future__ import annotations

#: (value, constant, status_name) for every status, in MAAS's order.
STATUSES = [
    (0, "NEW", "New"),
    (1, "COMMISSIONING", "Commissioning"),
    (2, "FAILED_COMMISSIONING", "Failed commissioning"),
    (3, "MISSING", "Missing"),
    (4, "READY", "Ready"),
    (5, "RESERVED", "Reserved"),
    (6, "DEPLOYED", "Deployed"),
    (7, "RETIRED", "Retired"),
    (8, "BROKEN", "Broken"),
    (9, "DEPLOYING", "Deploying"),
    (10, "ALLOCATED", "Allocated"),
    (11, "FAILED_DEPLOYMENT", "Failed deployment"),
    (12, "RELEASING", "Releasing"),
    (13, "FAILED_RELEASING", "Releasing failed"),
    (14, "DISK_ERASING", "Disk erasing"),
    (15, "FAILED_DISK_ERASING", "Failed disk erasing"),
    (16, "RESCUE_MODE", "Rescue mode"),
    (17, "ENTERING_RESCUE_MODE", "Entering rescue mode"),
    (18, "FAILED_ENTERING_RESCUE_MODE", "Failed to enter rescue mode"),
    (19, "EXITING_RESCUE_MODE", "Exiting rescue mode"),
    (20, "FAILED_EXITING_RESCUE_MODE", "Failed to exit rescue mode"),
    (21, "TESTING", "Testing"),
    (22, "FAILED_TESTING", "Failed testing"),
]

_RESCUE_AND_TEST = ["ENTERING_RESCUE_MODE", "TESTING"]

#: Old status constant -> the constants a machine may move to from it.
TRANSITIONS: dict[str, list[str]] = {
    "NEW": ["COMMISSIONING", "TESTING", "MISSING", "READY", "RETIRED", "BROKEN",
            "ENTERING_RESCUE_MODE"],
    "COMMISSIONING": ["FAILED_COMMISSIONING", "READY", "RETIRED", "MISSING", "NEW", "BROKEN",
                      "TESTING"],
    "FAILED_COMMISSIONING": ["COMMISSIONING", "MISSING", "RETIRED", "BROKEN",
                             "ENTERING_RESCUE_MODE", "TESTING"],
    "READY": ["ENTERING_RESCUE_MODE", "COMMISSIONING", "ALLOCATED", "RESERVED", "RETIRED",
              "MISSING", "BROKEN", "TESTING"],
    "RESERVED": ["READY", "ALLOCATED", "RETIRED", "MISSING", "BROKEN", "DISK_ERASING",
                 "RELEASING", *_RESCUE_AND_TEST],
    "ALLOCATED": ["READY", "RETIRED", "MISSING", "BROKEN", "DEPLOYING", "DISK_ERASING",
                  "RELEASING", *_RESCUE_AND_TEST],
    "RELEASING": ["NEW", "ALLOCATED", "RESERVED", "DEPLOYED", "READY", "BROKEN", "MISSING",
                  "FAILED_DEPLOYMENT", "FAILED_DISK_ERASING", "FAILED_RELEASING"],
    "DEPLOYING": ["ALLOCATED", "MISSING", "BROKEN", "FAILED_DEPLOYMENT", "DEPLOYED", "READY",
                  "DISK_ERASING", "RELEASING"],
    "FAILED_DEPLOYMENT": ["ALLOCATED", "MISSING", "BROKEN", "READY", "DISK_ERASING",
                          "RELEASING", *_RESCUE_AND_TEST],
    "DEPLOYED": ["ALLOCATED", "MISSING", "BROKEN", "READY", "DISK_ERASING", "RELEASING",
                 *_RESCUE_AND_TEST],
    "MISSING": ["NEW", "READY", "ALLOCATED", "COMMISSIONING", "BROKEN", *_RESCUE_AND_TEST],
    "RETIRED": ["NEW", "READY", "MISSING", "BROKEN", *_RESCUE_AND_TEST],
    "BROKEN": ["COMMISSIONING", "READY", "DISK_ERASING", "RELEASING", *_RESCUE_AND_TEST,
               "DEPLOYED"],
    "FAILED_RELEASING": ["RELEASING", "DISK_ERASING", "READY", "BROKEN", "TESTING"],
    "DISK_ERASING": ["BROKEN", "DISK_ERASING", "FAILED_DISK_ERASING", "READY", "RELEASING"],
    "FAILED_DISK_ERASING": ["DISK_ERASING", "RELEASING", "BROKEN", "ALLOCATED", "READY",
                            *_RESCUE_AND_TEST],
    "ENTERING_RESCUE_MODE": ["READY", "BROKEN", "DEPLOYED", "RESCUE_MODE",
                             "FAILED_ENTERING_RESCUE_MODE", "EXITING_RESCUE_MODE"],
    "FAILED_ENTERING_RESCUE_MODE": ["BROKEN", "ENTERING_RESCUE_MODE", "EXITING_RESCUE_MODE",
                                    "TESTING"],
    "RESCUE_MODE": ["BROKEN", "EXITING_RESCUE_MODE", "TESTING"],
    "EXITING_RESCUE_MODE": ["NEW", "BROKEN", "FAILED_COMMISSIONING", "READY", "RESERVED",
                            "ALLOCATED", "FAILED_DEPLOYMENT", "DEPLOYED", "MISSING", "RETIRED",
                            "FAILED_RELEASING", "FAILED_DISK_ERASING", "RESCUE_MODE",
                            "FAILED_ENTERING_RESCUE_MODE", "FAILED_EXITING_RESCUE_MODE",
                            "FAILED_TESTING"],
    "FAILED_EXITING_RESCUE_MODE": ["BROKEN", "EXITING_RESCUE_MODE", "TESTING"],
    "TESTING": ["BROKEN", "NEW", "READY", "RESERVED", "ALLOCATED", "DEPLOYED", "COMMISSIONING",
                "FAILED_DEPLOYMENT", "MISSING", "RETIRED", "FAILED_RELEASING",
                "FAILED_DISK_ERASING", "FAILED_ENTERING_RESCUE_MODE",
                "FAILED_EXITING_RESCUE_MODE", "FAILED_TESTING"],
    "FAILED_TESTING": ["COMMISSIONING", "BROKEN", "MISSING", "ENTERING_RESCUE_MODE", "TESTING",
                       "READY", "DEPLOYED"],
}

#: In-progress status -> the status a machine falls to when that operation fails.
FAILURE_TRANSITIONS = {
    "COMMISSIONING": "FAILED_COMMISSIONING",
    "DEPLOYING": "FAILED_DEPLOYMENT",
    "RELEASING": "FAILED_RELEASING",
    "DISK_ERASING": "FAILED_DISK_ERASING",
    "ENTERING_RESCUE_MODE": "FAILED_ENTERING_RESCUE_MODE",
    "EXITING_RESCUE_MODE": "FAILED_EXITING_RESCUE_MODE",
    "TESTING": "FAILED_TESTING",
}

#: Statuses from which ``machine release`` starts a release (MAAS's RELEASABLE_STATUSES).
RELEASABLE = {"ALLOCATED", "RESERVED", "BROKEN", "DEPLOYING", "DEPLOYED", "FAILED_DEPLOYMENT",
              "FAILED_DISK_ERASING", "FAILED_RELEASING"}

CODE = {constant: value for value, constant, _ in STATUSES}
NAME = {constant: name for _, constant, name in STATUSES}
CONSTANT = {value: constant for value, constant, _ in STATUSES}


def may_move(old: str, new: str) -> bool:
    """Whether MAAS allows a machine in status ``old`` to move to ``new`` (constants)."""
    return new in TRANSITIONS.get(old, ())


def parse_status(text: str) -> str | None:
    """The constant for a status as users write it: ``ready``, ``failed_deployment``,
    ``Failed deployment``, ``FAILED_DEPLOYMENT`` or the numeric code; ``None`` if unknown."""
    text = text.strip()
    if text.isdigit():
        return CONSTANT.get(int(text))
    wanted = text.upper().replace(" ", "_").replace("-", "_")
    if wanted in CODE:
        return wanted
    by_name = {name.lower(): constant for constant, name in NAME.items()}
    return by_name.get(text.lower())
