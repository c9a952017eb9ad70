"""Machine operations in simulated time: deploying, releasing, erasing, commissioning.

An operation moves the machine at once (Ready → Allocated → Deploying, say) and schedules its
later steps; the steps fall due lazily: the state applies every step whose time has come before
it answers any request, so what a client reads is exact to the moment it asks, with no ticker
thread. Every status change follows MAAS's transition table (:mod:`.statuses`) and writes
events: a DEBUG "Node changed status" one, an INFO (or ERROR) one saying what happened, and an
AUDIT one for the user's request.

A deploy takes ``deploy_seconds`` ± 20 %. It fails (Failed deployment, with
``error_description``, ``status_message`` and an ERROR event saying why) for machines named in
``fail_next``, machines listed as always failing, and a seeded share ``fail_rate`` of deploys.
"""

from __future__ import annotations

import heapq
import itertools
import random

from . import statuses
from .api import ApiError
from .generate import DEPLOY_FAILURES

#: (fraction of the deploy time, status message) of the progress steps of a deploy.
DEPLOY_STEPS = [(0.15, "Performing PXE boot"), (0.35, "Loading ephemeral"),
                (0.6, "Installing OS"), (0.85, "Rebooting")]
#: Durations of the other operations, as fractions of the deploy time.
RELEASE_SHARE, ERASE_SHARE, QUICK_ERASE_SHARE, COMMISSION_SHARE = 0.25, 0.5, 0.2, 1.5


def conflict(machine, verb: str) -> ApiError:
    """409 for an action the machine's status does not allow."""
    return ApiError(409, f"Node cannot be {verb} because it is in the "
                         f"'{machine.status_name}' state.")


class Lifecycle:
    """The scheduled steps of every machine's current operation."""

    def __init__(self, events, deploy_seconds: float, seed: int, fail_rate: float = 0.0,
                 always_fail=()):
        self.events = events
        self.deploy_seconds = deploy_seconds
        self.seed, self.fail_rate = seed, fail_rate
        self.always_fail = set(always_fail)   # system_ids or hostnames
        self.fail_once: set[str] = set()
        self._due: list = []                  # heap of (when, order, machine, operation, step)
        self._order = itertools.count()
        self._operation: dict[str, int] = {}  # system_id -> number of its current operation

    # -- plumbing -----------------------------------------------------------------------

    def move(self, machine, new: str, when: float, user=None) -> None:
        """Change the status (a legal MAAS transition) and log it."""
        old = machine.status
        if not statuses.may_move(old, new):
            raise RuntimeError(f"sandbox bug: MAAS never moves a machine from {old} to {new}")
        machine.status = new
        self.events.add(machine, "Node changed status", f"From '{statuses.NAME[old]}' to "
                        f"'{statuses.NAME[new]}'", "DEBUG", _name(user), when)

    def note(self, machine, type_: str, description: str, level: str, user, when: float,
             message: str | None = None) -> None:
        """Log an event; unless it is an AUDIT one, show ``message`` (or the event type) as
        the machine's status message."""
        self.events.add(machine, type_, description, level, _name(user), when)
        if level != "AUDIT":
            machine.status_message = message or type_

    def _begin(self, machine) -> tuple[int, random.Random]:
        """Start a new operation: steps of the previous one are dropped."""
        operation = self._operation.get(machine.system_id, 0) + 1
        self._operation[machine.system_id] = operation
        return operation, random.Random(f"{self.seed}:{machine.system_id}:{operation}")

    def _at(self, when: float, machine, operation: int, step) -> None:
        heapq.heappush(self._due, (when, next(self._order), machine, operation, step))

    def advance(self, now: float) -> None:
        """Apply every step that has fallen due by ``now``, in time order."""
        while self._due and self._due[0][0] <= now:
            when, _, machine, operation, step = heapq.heappop(self._due)
            if self._operation.get(machine.system_id) == operation:
                step(machine, when)

    # -- operations -----------------------------------------------------------------------

    def deploy(self, machine, user, now: float, osystem: str, series: str, kernel: str | None,
               comment: str = "") -> None:
        """Start deploying (allocating a Ready machine to ``user`` first)."""
        if machine.status == "READY":
            self.allocate(machine, user, now)
        if not statuses.may_move(machine.status, "DEPLOYING"):
            raise conflict(machine, "deployed")
        operation, rng = self._begin(machine)
        self.note(machine, "Deploy", comment or f"Started deploying '{machine.hostname}'.",
                  "AUDIT", user, now)
        self.move(machine, "DEPLOYING", now, user)
        machine.osystem, machine.distro_series, machine.hwe_kernel = osystem, series, kernel
        machine.power_state, machine.error_description = "on", ""
        machine.installation_results += 1
        self.note(machine, "Deploying", "", "INFO", user, now)
        duration = self.deploy_seconds * rng.uniform(0.8, 1.2)
        fails = self._fails(machine, rng)
        for share, message in DEPLOY_STEPS:
            if fails and share > 0.5:
                break  # a failing deploy stops while installing

            def progress(m, when, message=message):
                self.note(m, message, "", "INFO", None, when)
            self._at(now + share * duration, machine, operation, progress)
        if fails:
            reason = rng.choice(DEPLOY_FAILURES)
            self._at(now + 0.6 * duration, machine, operation,
                     lambda m, when: self._deploy_failed(m, when, reason))
        else:
            self._at(now + duration, machine, operation, self._deployed)

    def _fails(self, machine, rng: random.Random) -> bool:
        if machine.system_id in self.fail_once:
            self.fail_once.discard(machine.system_id)
            return True
        chosen = {machine.system_id, machine.hostname} & self.always_fail
        return bool(chosen) or rng.random() < self.fail_rate

    def _deployed(self, machine, when: float) -> None:
        self.move(machine, "DEPLOYED", when)
        self.note(machine, "Deployed", "", "INFO", None, when)

    def _deploy_failed(self, machine, when: float, reason: str) -> None:
        self.move(machine, statuses.FAILURE_TRANSITIONS["DEPLOYING"], when)
        machine.error_description = reason
        self.note(machine, "Failed deployment", reason, "ERROR", None, when, message=reason)

    def allocate(self, machine, user, now: float, comment: str = "") -> None:
        self.move(machine, "ALLOCATED", now, user)
        machine.owner = user.username
        self.note(machine, "Allocate", comment or f"Allocated '{machine.hostname}' to "
                  f"{user.username}.", "AUDIT", user, now)

    def release(self, machine, user, now: float, erase: bool, quick: bool = False,
                comment: str = "") -> None:
        """Start releasing; with ``erase`` the disks are wiped first (Disk erasing)."""
        operation, rng = self._begin(machine)
        self.note(machine, "Release", comment or f"Started releasing '{machine.hostname}'.",
                  "AUDIT", user, now)
        target = "DISK_ERASING" if erase else "RELEASING"
        self.move(machine, target, now, user)
        self.note(machine, "Erasing disk" if erase else "Releasing", "", "INFO", user, now)
        share = (QUICK_ERASE_SHARE if quick else ERASE_SHARE) if erase else RELEASE_SHARE
        self._at(now + share * self.deploy_seconds * rng.uniform(0.8, 1.2), machine, operation,
                 self._released)

    def _released(self, machine, when: float) -> None:
        self.move(machine, "READY", when)
        machine.owner, machine.owner_data = None, {}
        machine.osystem, machine.distro_series, machine.hwe_kernel = "", "", None
        machine.power_state, machine.error_description = "off", ""
        self.note(machine, "Released", "", "INFO", None, when)

    def abort(self, machine, user, now: float, comment: str = "") -> None:
        """Stop the current operation: Deploying → Allocated, Disk erasing → Failed disk
        erasing, Commissioning → New."""
        outcome = {"DEPLOYING": ("ALLOCATED", "deployment"),
                   "DISK_ERASING": ("FAILED_DISK_ERASING", "disk erasing"),
                   "COMMISSIONING": ("NEW", "commissioning")}.get(machine.status)
        if outcome is None:
            raise conflict(machine, "aborted")
        self._begin(machine)
        target, what = outcome
        self.note(machine, "Abort", comment or f"Aborted {what} of '{machine.hostname}'.",
                  "AUDIT", user, now)
        self.move(machine, target, now, user)
        machine.power_state = "off"
        self.note(machine, f"Aborted {what}", comment, "WARNING", user, now)

    def commission(self, machine, now: float) -> None:
        """Finish a commissioning that is already under way (generated machines)."""
        operation, rng = self._begin(machine)
        machine.status_message = "Commissioning"
        duration = COMMISSION_SHARE * self.deploy_seconds * rng.uniform(0.8, 1.2)

        def done(m, when):
            self.move(m, "READY", when)
            m.power_state = "off"
            self.note(m, "Ready", "Commissioning complete.", "INFO", None, when)
        self._at(now + duration, machine, operation, done)


def _name(user) -> str | None:
    return user.username if user is not None else None
