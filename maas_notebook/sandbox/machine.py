"""A sandbox machine and its JSON, shaped like a MAAS 3.7 ``machines read`` entry.

The fields that change (status, owner, OS, power ...) are attributes; the hardware
(interfaces, block devices, hardware_info) is fixed at generation. The rendered JSON text is
cached per machine and dropped whenever an attribute is set, so listing ten thousand machines
joins cached strings instead of re-encoding every machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import statuses

API = "/MAAS/api/2.0"

#: The per-test status fields of 3.7 (all -1 "Unknown" in a fresh sandbox).
_TEST_STATUS_FIELDS = ("commissioning_status", "testing_status", "cpu_test_status",
                       "memory_test_status", "network_test_status", "storage_test_status",
                       "interface_test_status", "other_test_status")
_UNKNOWN_TESTS = {}
for _name in _TEST_STATUS_FIELDS:
    _UNKNOWN_TESTS[_name] = -1
    _UNKNOWN_TESTS[_name + "_name"] = "Unknown"


@dataclass
class Zone:
    id: int
    name: str
    description: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "id": self.id,
                "resource_uri": f"{API}/zones/{self.name}/"}


@dataclass
class Pool:
    id: int
    name: str
    description: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "id": self.id,
                "resource_uri": f"{API}/resourcepool/{self.id}/"}


@dataclass
class Tag:
    name: str
    comment: str = ""
    definition: str = ""
    kernel_opts: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "definition": self.definition, "comment": self.comment,
                "kernel_opts": self.kernel_opts, "resource_uri": f"{API}/tags/{self.name}/"}


@dataclass
class Machine:
    """One machine. Setting any attribute drops the cached JSON; code that mutates a dict or
    set attribute in place (owner_data, tags) calls :meth:`changed` itself."""

    id: int
    system_id: str
    hostname: str
    architecture: str
    cpu_count: int
    cpu_speed: int
    memory: int                       # MiB
    zone: Zone
    pool: Pool
    power_type: str
    hardware_info: dict
    hardware_uuid: str
    interfaces: list[dict]            # rendered later with the links' IP addresses
    disks: list[dict]
    ips: list[str]                    # the addresses the machine gets once deployed
    status: str = "READY"             # a constant of statuses.STATUSES
    status_message: str | None = None
    error_description: str = ""
    description: str = ""
    owner: str | None = None
    owner_data: dict = field(default_factory=dict)
    tags: set = field(default_factory=set)
    osystem: str = ""
    distro_series: str = ""
    hwe_kernel: str | None = None
    power_state: str = "off"
    locked: bool = False
    installation_results: int = 0
    _json: str | None = field(default=None, repr=False)

    def __setattr__(self, name, value):
        if name != "_json":
            object.__setattr__(self, "_json", None)
        object.__setattr__(self, name, value)

    def changed(self) -> None:
        """Forget the cached JSON after an in-place change."""
        self._json = None

    @property
    def status_code(self) -> int:
        return statuses.CODE[self.status]

    @property
    def status_name(self) -> str:
        return statuses.NAME[self.status]

    @property
    def storage_mb(self) -> float:
        return sum(disk["size"] for disk in self.disks) / 1e6

    @property
    def macs(self) -> list[str]:
        return [nic["mac_address"] for nic in self.interfaces]

    @property
    def fabrics(self) -> set[str]:
        return {nic["vlan"]["fabric"] for nic in self.interfaces}

    def json(self) -> str:
        """The machine as JSON text (cached until the machine changes)."""
        if self._json is None:
            self._json = json.dumps(self.as_dict())
        return self._json

    def as_dict(self) -> dict:
        deployed_ips = self.ips if self.status == "DEPLOYED" else []
        interfaces = [self._interface(nic, deployed_ips) for nic in self.interfaces]
        disks = self.disks
        gateway = self.interfaces[0]["links"][0]["subnet"]["gateway_ip"]
        return {
            "system_id": self.system_id, "hostname": self.hostname,
            "fqdn": f"{self.hostname}.maas", "domain": _DOMAIN, "description": self.description,
            "status": self.status_code, "status_name": self.status_name,
            "status_message": self.status_message, "status_action": "",
            "error_description": self.error_description,
            "architecture": self.architecture, "cpu_count": self.cpu_count,
            "cpu_speed": self.cpu_speed, "memory": self.memory,
            "storage": self.storage_mb, "swap_size": None,
            "osystem": self.osystem, "distro_series": self.distro_series,
            "hwe_kernel": self.hwe_kernel, "min_hwe_kernel": "",
            "ephemeral_deploy": False, "enable_kernel_crash_dump": False,
            "power_state": self.power_state, "power_type": self.power_type,
            "owner": self.owner, "owner_data": dict(self.owner_data),
            "workload_annotations": dict(self.owner_data),
            "zone": self.zone.as_dict(), "pool": self.pool.as_dict(),
            "tag_names": sorted(self.tags),
            "interface_set": interfaces, "boot_interface": interfaces[0],
            "ip_addresses": list(deployed_ips),
            "default_gateways": {"ipv4": {"gateway_ip": gateway, "link_id": None},
                                 "ipv6": {"gateway_ip": None, "link_id": None}},
            "blockdevice_set": disks, "physicalblockdevice_set": disks,
            "virtualblockdevice_set": [], "boot_disk": disks[0],
            "volume_groups": [], "raids": [], "bcaches": [], "cache_sets": [],
            "special_filesystems": [],
            "numanode_set": [{"index": 0, "memory": self.memory,
                              "cores": list(range(self.cpu_count)), "hugepages_set": []}],
            "hardware_info": self.hardware_info, "hardware_uuid": self.hardware_uuid,
            "bios_boot_method": "uefi", "netboot": self.status != "DEPLOYED",
            "locked": self.locked, "node_type": 0, "node_type_name": "Machine",
            "pod": None, "parent": None, "is_dpu": False, "virtualmachine_id": None,
            "disable_ipv4": False, "address_ttl": None,
            "enable_hw_sync": False, "sync_interval": None, "last_sync": None, "next_sync": None,
            "current_commissioning_result_id": None, "current_testing_result_id": None,
            "current_installation_result_id": self.installation_results or None,
            **_UNKNOWN_TESTS,
            "resource_uri": f"{API}/machines/{self.system_id}/",
        }

    def _interface(self, nic: dict, ips: list[str]) -> dict:
        links = []
        for link in nic["links"]:
            link = dict(link)
            address = ips[nic["index"]] if nic["index"] < len(ips) else None
            if address:
                link["ip_address"] = address
            links.append(link)
        rendered = {key: value for key, value in nic.items() if key != "index"}
        rendered.update(links=links, system_id=self.system_id,
                        resource_uri=f"{API}/nodes/{self.system_id}/interfaces/{nic['id']}/")
        return rendered


_DOMAIN = {"authoritative": True, "ttl": None, "resource_record_count": 0, "is_default": True,
           "id": 0, "name": "maas", "resource_uri": f"{API}/domains/0/"}
