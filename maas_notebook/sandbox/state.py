"""Everything the sandbox MAAS knows, behind one lock: machines, users, zones, pools, tags,
networks, boot images, configuration and events.

Every request runs with :attr:`State.lock` held, after :meth:`State.advance` has applied the
lifecycle steps that fell due, so concurrent clients never see half an update nor lose one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from . import generate
from .api import ApiError, not_found
from .auth import new_api_key, split_api_key
from .bootimages import boot_resources
from .events import EventLog
from .lifecycle import Lifecycle
from .machine import API

ADMIN = "admin"

#: Configuration items ``maas get_config`` knows, with their starting values.
DEFAULT_CONFIG = {
    "maas_name": "sandbox", "default_osystem": "ubuntu", "default_distro_series": "jammy",
    "default_min_hwe_kernel": "", "commissioning_distro_series": "jammy",
    "enable_disk_erasing_on_release": False, "disk_erase_with_secure_erase": False,
    "disk_erase_with_quick_erase": False, "kernel_opts": "", "http_proxy": "",
    "enable_http_proxy": True, "upstream_dns": "", "ntp_servers": "ntp.ubuntu.com",
    "default_storage_layout": "flat", "completed_intro": True,
}


@dataclass
class User:
    username: str
    email: str
    is_superuser: bool
    api_key: str = field(repr=False)  # holds the token secret: never in reprs or logs

    def as_dict(self) -> dict:
        return {"is_superuser": self.is_superuser, "username": self.username,
                "email": self.email, "is_local": True,
                "resource_uri": f"{API}/users/{self.username}/"}


class State:
    """The sandbox's data. Attributes are read and changed with :attr:`lock` held."""

    def __init__(self, machines: int = 20, seed: int = 0, deploy_seconds: float = 20.0,
                 api_key: str | None = None, fail_rate: float = 0.0, fail_machines=(),
                 clock=time.time):
        self.lock = threading.RLock()
        self.clock = clock
        self.events = EventLog()
        self.lifecycle = Lifecycle(self.events, deploy_seconds, seed, fail_rate, fail_machines)
        self.users: dict[str, User] = {}
        self.add_user(ADMIN, "admin@example.com", True, api_key)
        self.add_user("ops", "ops@example.com", False)
        self.zones = {zone.name: zone for zone in generate.ZONES}
        self.pools = {pool.id: pool for pool in generate.POOLS}
        self.tags = {tag.name: tag for tag in generate.tags()}
        self.fabrics = generate.fabrics()
        self.subnets = generate.subnets()
        self.boot_resources = boot_resources()
        self.config = dict(DEFAULT_CONFIG)
        self.machines = {}
        now = clock()
        for machine, status in generate.assign_statuses(generate.machines(machines, seed), seed):
            self.machines[machine.system_id] = machine
            self._settle(machine, status, now)

    def _settle(self, machine, status: str, now: float) -> None:
        """Put a new machine in its starting status with a plausible history."""
        machine.status = status
        owner = "ops" if machine.id % 4 == 0 else ADMIN
        if status in ("ALLOCATED", "DEPLOYED", "FAILED_DEPLOYMENT"):
            machine.owner = owner
        if status in ("DEPLOYED", "FAILED_DEPLOYMENT"):
            machine.osystem, machine.distro_series = "ubuntu", "jammy"
            machine.hwe_kernel, machine.installation_results = "ga-22.04", 1
        machine.power_state = {"DEPLOYED": "on", "NEW": "unknown",
                               "FAILED_DEPLOYMENT": "on"}.get(status, "off")
        reason = {"BROKEN": generate.BROKEN_REASONS[machine.id % 3],
                  "FAILED_DEPLOYMENT": generate.DEPLOY_FAILURES[machine.id % 3]}.get(status, "")
        machine.error_description = reason
        machine.status_message = reason or {"DEPLOYED": "Deployed"}.get(status)
        level = "ERROR" if status == "FAILED_DEPLOYMENT" else "INFO"
        self.events.add(machine, machine.status_name, reason, level, None, now)
        if status == "COMMISSIONING":
            self.lifecycle.commission(machine, now)

    # -- users and keys -----------------------------------------------------------------

    def add_user(self, username: str, email: str = "", is_superuser: bool = False,
                 api_key: str | None = None) -> User:
        """Create a user with an API key (a fresh random one unless given)."""
        key = api_key or new_api_key()
        split_api_key(key)
        user = User(username, email or f"{username}@example.com", is_superuser, key)
        self.users[username] = user
        return user

    def credentials(self) -> dict:
        """``{token_key: (consumer_key, token_secret, user)}`` for the authenticator."""
        with self.lock:
            found = {}
            for user in self.users.values():
                consumer_key, token_key, token_secret = split_api_key(user.api_key)
                found[token_key] = (consumer_key, token_secret, user)
            return found

    # -- machines -----------------------------------------------------------------------

    def advance(self) -> None:
        """Apply the lifecycle steps that have fallen due."""
        self.lifecycle.advance(self.clock())

    def machine(self, system_id: str, user=None):
        """The machine, or 404 (also when ``user`` may not see it)."""
        machine = self.machines.get(system_id)
        if machine is None or (user is not None and not self.may_see(user, machine)):
            raise not_found("Machine")
        return machine

    def may_see(self, user, machine) -> bool:
        """Administrators see every machine; others the unowned ones and their own."""
        return user.is_superuser or machine.owner in (None, user.username)

    def may_edit(self, user, machine) -> None:
        """403 unless ``user`` is an administrator or owns the machine."""
        if not (user.is_superuser or machine.owner == user.username):
            raise ApiError(403, f"You do not have permission to act on machine "
                                f"{machine.system_id}: it is allocated to {machine.owner}.")

    def fail_next(self, system_id: str) -> None:
        """Make the next deploy of this machine end in Failed deployment."""
        with self.lock:
            self.machine(system_id)
            self.lifecycle.fail_once.add(system_id)

    def zone_of(self, system_id: str) -> str | None:
        machine = self.machines.get(system_id)
        return machine.zone.name if machine else None

    def find_pool(self, key: str):
        """A pool by id or by name, or 404."""
        for pool in self.pools.values():
            if str(pool.id) == key or pool.name == key:
                return pool
        raise not_found("ResourcePool")
