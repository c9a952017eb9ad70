"""The pure-Python half of :mod:`maas_notebook.frames`: MAAS objects read into plain columns.

Nothing here imports pandas or numpy; ``frames`` turns these columns into typed arrays. The
machine inventory's single pass over the records lives here, written for speed: a large
answer's decoded objects do not fit in the CPU caches, so fetching them from memory is most
of the cost. Each machine's objects are visited once, in one pass, and categorical values are
coded in that pass while they are at hand; the interpreter's own work is kept small with
itemgetter and bound methods.
"""

from __future__ import annotations

from operator import itemgetter

#: Every machine ``status_name`` of MAAS 2.0 ... 3.8, ordered along the lifecycle.
MACHINE_STATUSES = (
    "New", "Commissioning", "Failed commissioning", "Testing", "Failed testing", "Ready",
    "Reserved", "Allocated", "Deploying", "Deployed", "Failed deployment", "Releasing",
    "Releasing failed", "Disk erasing", "Failed disk erasing", "Entering rescue mode",
    "Failed to enter rescue mode", "Rescue mode", "Exiting rescue mode",
    "Failed to exit rescue mode", "Broken", "Missing", "Retired",
)

#: The numeric ``status`` codes (the same in every MAAS version) and their ``status_name``.
STATUS_BY_CODE = {
    0: "New", 1: "Commissioning", 2: "Failed commissioning", 3: "Missing", 4: "Ready",
    5: "Reserved", 6: "Deployed", 7: "Retired", 8: "Broken", 9: "Deploying", 10: "Allocated",
    11: "Failed deployment", 12: "Releasing", 13: "Releasing failed", 14: "Disk erasing",
    15: "Failed disk erasing", 16: "Rescue mode", 17: "Entering rescue mode",
    18: "Failed to enter rescue mode", 19: "Exiting rescue mode",
    20: "Failed to exit rescue mode", 21: "Testing", 22: "Failed testing",
}

# What the inventory reads from each machine, in this order. The numeric ``status`` rather
# than ``status_name``: the codes mean the same in every version, and a small int is shared,
# not one more string object to fetch from memory per machine.
MACHINE_FIELDS = (
    "system_id", "hostname", "fqdn", "status", "status_message", "power_state",
    "power_type", "owner", "osystem", "distro_series", "zone", "pool", "architecture",
    "cpu_count", "memory", "physicalblockdevice_set", "storage", "tag_names",
    "boot_interface", "interface_set", "domain",
)
# The inventory's categorical columns, coded during the pass.
CODED_COLUMNS = ("status", "power_state", "power_type", "owner", "osystem", "distro_series",
                 "arch", "zone", "pool", "domain", "fabric", "vlan")


class Coder(dict):
    """``coder[value]`` is the value's category code, in first-seen order; None and "" (what
    MAAS sends for an unset owner, OS, series ...) are -1, pandas' code for NA."""

    def __init__(self):
        super().__init__({None: -1, "": -1})

    def __missing__(self, value):
        code = self[value] = len(self) - 2
        return code

    def categories(self) -> list:
        return list(self)[2:]


def encode(values) -> tuple[list, list]:
    """(codes, categories) of ``values``."""
    coder = Coder()
    return [coder[value] for value in values], coder.categories()


def machine_columns(machines: list) -> tuple[dict, dict]:
    """(values, coded) of the inventory: ``values`` maps each of MACHINE_FIELDS, ``disks`` and
    ``ip_addresses`` to its value per machine; ``coded`` maps each of CODED_COLUMNS to
    (codes, categories)."""
    pluck, name_of_code = itemgetter(*MACHINE_FIELDS), STATUS_BY_CODE.get
    coders = tuple(Coder() for _ in CODED_COLUMNS)
    (status_code, power_state_code, power_type_code, owner_code, osystem_code, series_code,
     arch_code, zone_code, pool_code, domain_code, fabric_code, vlan_code) = coders
    rows, disks, ips, codes = [], [], [], []
    keep, count, address, code = rows.append, disks.append, ips.append, codes.append
    for machine in machines:
        try:  # one C call when the machine has every field, as one server's answers do
            row = pluck(machine)
        except KeyError:  # a version without some of them (pool, boot_interface ...): NA
            row = tuple(map(machine.get, MACHINE_FIELDS))
        keep(row)
        (_, _, _, status, _, power_state, power_type, owner, osystem, series, zone, pool, arch,
         _, _, physical, _, _, boot, interfaces, domain) = row
        count(len(physical) if physical is not None
              else _physical(machine.get("blockdevice_set")))
        found = machine.get("ip_addresses")
        address(found if found is not None else machine_ips(interfaces))  # gone in MAAS 3.7
        boot = boot or (interfaces[0] if interfaces else None)
        vlan = boot.get("vlan") if boot else None
        code((status_code[name_of_code(status) or machine.get("status_name")],
              power_state_code[power_state], power_type_code[power_type], owner_code[owner],
              osystem_code[osystem], series_code[series], arch_code[arch],
              zone_code[_name(zone)], pool_code[_name(pool)], domain_code[_name(domain)],
              fabric_code[vlan.get("fabric") if vlan else None], vlan_code[vlan_name(vlan)]))
    values = dict(zip(MACHINE_FIELDS, zip(*rows) if rows else [()] * len(MACHINE_FIELDS)))
    values.update(disks=disks, ip_addresses=ips)
    columns = zip(*codes) if codes else [()] * len(CODED_COLUMNS)
    coded = {name: (column, coder.categories())
             for name, column, coder in zip(CODED_COLUMNS, columns, coders)}
    return values, coded


def _name(value):
    # zone, pool and domain are objects with a name (an older answer may send the bare name).
    return value.get("name") if isinstance(value, dict) else value


def _physical(block_devices):
    if block_devices is None:
        return None
    return sum(1 for device in block_devices if device.get("type") == "physical")


def vlan_name(vlan):
    """A VLAN object's name, else its VID as text; None without a VLAN."""
    if not isinstance(vlan, dict):
        return None
    name = vlan.get("name")
    return str(vlan["vid"]) if name is None and vlan.get("vid") is not None else name


def machine_ips(interfaces):
    """What MAAS before 3.7 sent as a machine's ``ip_addresses``: the interfaces' assigned
    addresses or, when there are none, the DHCP leases MAAS observed."""
    if interfaces is None:
        return None
    assigned = [link.get("ip_address") for interface in interfaces
                for link in interface.get("links") or ()]
    if any(assigned):
        return [ip for ip in assigned if ip]
    leases = [lease.get("ip_address") for interface in interfaces
              for lease in interface.get("discovered") or ()]
    return [ip for ip in leases if ip]


def link_values(interface, *path) -> list:
    """The non-empty values at ``path`` in each of an interface's links."""
    found = (pick(link, path) for link in interface.get("links") or ())
    return [value for value in found if value]


def pick(record, where):
    """The value at ``where`` (a key, a tuple of keys into nested objects, or a function of
    the record); None where anything on the way is missing."""
    if callable(where):
        return where(record)
    for key in (where,) if isinstance(where, str) else where:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record


def children(machines: list, *keys) -> list[dict]:
    """The items of the first of ``keys`` each machine has (interfaces, block devices ...),
    each with its machine under ``_machine``."""
    rows = []
    for machine in machines:
        items = next((machine[key] for key in keys if machine.get(key) is not None), ())
        rows.extend({**item, "_machine": machine} for item in items)
    return rows


def flatten(record: dict, depth: int, prefix: str = "") -> dict:
    """``record`` with nested non-empty objects spread into dotted keys, ``depth`` levels down."""
    flat = {}
    for key, value in record.items():
        if depth > 0 and isinstance(value, dict) and value:
            flat.update(flatten(value, depth - 1, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def kind_of(records, hint, known) -> str | None:
    """Which of ``known`` kinds (singular, lower case, no separators: "machine",
    "bootresource" ...) ``records`` are: the hint, else a look at the first item only."""
    if hint and singular(hint) in known:
        return singular(hint)
    if isinstance(records, dict) and isinstance(records.get("events"), list):
        return "event"
    first = records if isinstance(records, dict) else (
        records[0] if isinstance(records, list) and records else None)
    if not isinstance(first, dict):
        return None
    if "system_id" in first and "hostname" in first and (
            "status" in first or "status_name" in first):
        return "machine"
    parts = str(first.get("resource_uri") or "").strip("/").split("/")  # .../2.0/zones/default/
    return singular(parts[-2]) if len(parts) >= 2 else None


def singular(name: str) -> str:
    """"boot-resources" -> "bootresource", "Machines" -> "machine"."""
    key = name.lower().replace("-", "").replace("_", "")
    return key[:-1] if key.endswith("s") else key
