"""MAAS list results as tidy, typed pandas DataFrames.

``machines_frame`` is the machine inventory: one row per machine, columns named for people
(``ram_gib``, ``storage_gb`` ...) and typed for analysis (an ordered ``status``, categoricals,
nullable numbers and strings). ``interfaces_frame`` and ``disks_frame`` give one row per NIC
and per block device, ``events_frame`` parses timestamps, ``zones_frame`` ... ``users_frame``
cover the other lists, ``to_frame`` flattens anything else and ``frame_for`` picks for you::

    machines_frame(client.machines.read()).groupby(["pool", "status"]).size()
    inventory(client, status="ready").query("cores >= 64")

Every MAAS version's field set is accepted: a field the server did not send is NA, never a
``KeyError``. Units: ``memory`` is MiB, ``storage`` MB (10^6 bytes), a block device's ``size``
bytes, link speeds Mbit/s. Nothing here sets pandas options: display follows yours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._frame_columns import (
    MACHINE_STATUSES, STATUS_BY_CODE, children, encode, flatten, kind_of, link_values,
    machine_columns, pick, vlan_name,
)

__all__ = [
    "MACHINE_COLUMNS", "MACHINE_STATUSES", "STATUS_BY_CODE", "boot_resources_frame",
    "disks_frame", "events_frame", "fabrics_frame", "frame_for", "interfaces_frame",
    "inventory", "machines_frame", "pools_frame", "subnets_frame", "tags_frame", "to_frame",
    "users_frame", "vlans_frame", "zones_frame",
]

MACHINE_COLUMNS = (
    "hostname", "fqdn", "status", "status_message", "power_state", "power_type", "owner",
    "osystem", "distro_series", "zone", "pool", "arch", "cores", "ram_gib", "disks",
    "storage_gb", "tags", "fabric", "vlan", "ip_addresses", "domain",
)

# Text is the nullable "string" dtype: the same pd.NA as Int64/Float64/boolean, and the same
# dtype on every supported pandas (pandas 3's default "str" does not exist before 3).
_TEXT = "string"

# MAAS writes event times as "Fri, 07 Dec. 2018 20:11:08" (the server's local time); the
# others are tried, in order, on what is left, so an unexpected format becomes NaT.
_TIME_FORMATS = ("%a, %d %b. %Y %H:%M:%S", "%a, %d %b %Y %H:%M:%S",
                 "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def to_frame(records, max_depth: int = 2) -> pd.DataFrame:
    """Any list result as a DataFrame, one row per item.

    Nested objects are spread into dotted columns (``zone.name``) down to ``max_depth``
    levels (like ``max_level`` of ``pandas.json_normalize``); deeper ones, and empty ones,
    stay Python objects, as lists stay lists. Columns come in the order first seen; a nested
    object that is null in some items gives only its dotted columns. ``system_id`` (else
    ``id``) is the index. Items that are not objects (a list of names ...) give one ``value``
    column; an empty list gives an empty frame.
    """
    records = _as_records(records)
    if not all(isinstance(record, dict) for record in records):
        return pd.DataFrame({"value": _objects(records)})
    rows = [flatten(record, max_depth) for record in records]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    data = {column: [row.get(column) for row in rows] for column in columns}
    spread = {column[:i] for column in columns for i, char in enumerate(column) if char == "."}
    data = {column: values for column, values in data.items()
            if column not in spread or any(value is not None for value in values)}
    frame = pd.DataFrame(data, columns=list(data))
    index = next((key for key in ("system_id", "id") if key in data), None)
    return frame.set_index(index) if index else frame


def machines_frame(machines) -> pd.DataFrame:
    """The machine inventory: one row per machine, indexed by ``system_id``.

    Columns: hostname, fqdn, status (ordered along the lifecycle, so ``status < "Deployed"``
    and sorting follow a machine's life), status_message, power_state, power_type, owner,
    osystem, distro_series, zone, pool, arch, cores, ram_gib (``memory`` MiB / 1024), disks
    (physical block devices), storage_gb (``storage`` MB / 1000), tags (list), fabric and
    vlan (of the boot interface, else the first one), ip_addresses (list; rebuilt from the
    interfaces where the server no longer sends it, as MAAS 3.7), domain.

    Accepts what ``machines read`` returns (any MAAS version) or a single machine. Missing
    fields are NA; an empty list gives an empty frame with the same columns and types.
    """
    values, coded = machine_columns(_as_records(machines))
    # Categoricals where the values are few next to the machines (a handful of power types,
    # zones, pools, owners, series ... for thousands of machines): small and fast to group.
    # Host names, FQDNs and messages are unique or free text: strings.
    data = {name: _category(*coded[name]) for name in coded if name != "status"}
    data.update(
        hostname=_text(values["hostname"]), fqdn=_text(values["fqdn"]),
        status=_statuses(*coded["status"]), status_message=_text(values["status_message"]),
        cores=_integers(values["cpu_count"]), ram_gib=_floats(values["memory"], 1024),
        disks=_integers(values["disks"]), storage_gb=_floats(values["storage"], 1000),
        tags=_objects(values["tag_names"]), ip_addresses=_objects(values["ip_addresses"]),
    )
    index = pd.Index(_text(values["system_id"]), name="system_id")
    return pd.DataFrame(data, index=index, columns=MACHINE_COLUMNS)


# Column specs shared by the frames below: {column: (where, dtype)}, see _curated.
_MACHINE_OF_ROW = {"system_id": (("_machine", "system_id"), _TEXT),
                   "hostname": (("_machine", "hostname"), _TEXT)}
_VLAN_OF_ROW = {"fabric": (("vlan", "fabric"), "category"),
                "vlan": (lambda row: vlan_name(row.get("vlan")), "category"),
                "vid": (("vlan", "vid"), "Int64")}


def interfaces_frame(machines) -> pd.DataFrame:
    """One row per network interface of each machine, indexed by the interface ``id``.

    Columns: system_id, hostname, name, type (physical, bond, bridge, vlan ...), mac_address,
    enabled, fabric, vlan, vid, ip_addresses (list, of the interface's links), subnets (list
    of CIDRs), link_speed and interface_speed (Mbit/s; NA where MAAS does not send them).
    """
    return _curated(children(_as_records(machines), "interface_set"), {
        "id": ("id", "Int64"), **_MACHINE_OF_ROW, "name": ("name", _TEXT),
        "type": ("type", "category"), "mac_address": ("mac_address", _TEXT),
        "enabled": ("enabled", "boolean"), **_VLAN_OF_ROW,
        "ip_addresses": (lambda row: link_values(row, "ip_address"), None),
        "subnets": (lambda row: link_values(row, "subnet", "cidr"), None),
        "link_speed": ("link_speed", "Int64"), "interface_speed": ("interface_speed", "Int64"),
    })


def disks_frame(machines) -> pd.DataFrame:
    """One row per block device of each machine (physical, and virtual ones such as RAID),
    indexed by the block device ``id``.

    Columns: system_id, hostname, name, type, model, serial, size_gb (``size`` bytes / 10^9),
    tags (list), id_path, used_for.
    """
    devices = children(_as_records(machines), "blockdevice_set", "physicalblockdevice_set")
    frame = _curated(devices, {
        "id": ("id", "Int64"), **_MACHINE_OF_ROW, "name": ("name", _TEXT),
        "type": ("type", "category"), "model": ("model", _TEXT), "serial": ("serial", _TEXT),
        "size_gb": ("size", "Float64"), "tags": ("tags", None), "id_path": ("id_path", _TEXT),
        "used_for": ("used_for", _TEXT),
    })
    frame["size_gb"] = frame["size_gb"] / 1e9
    return frame


def events_frame(events) -> pd.DataFrame:
    """Events indexed by event ``id``, newest first as MAAS sends them.

    Accepts the ``events query`` answer (``{count, events, next_uri, prev_uri}``) or its list.
    Columns: created (datetime in the server's local time; NaT when unreadable), level, type,
    hostname, system_id (the event's ``node``), username, description.
    """
    if isinstance(events, dict) and "events" in events:
        events = events["events"]
    return _curated(events, {
        "id": ("id", "Int64"), "created": ("created", "datetime"),
        "level": ("level", "category"), "type": ("type", "category"),
        "hostname": ("hostname", "category"), "system_id": ("node", "category"),
        "username": ("username", "category"), "description": ("description", _TEXT),
    })


def zones_frame(zones) -> pd.DataFrame:
    """Availability zones indexed by ``name``: id, description."""
    return _curated(zones, {"name": ("name", _TEXT), "id": ("id", "Int64"),
                            "description": ("description", _TEXT)})


def pools_frame(pools) -> pd.DataFrame:
    """Resource pools indexed by ``name``: id, description."""
    return zones_frame(pools)


def tags_frame(tags) -> pd.DataFrame:
    """Tags indexed by ``name``: definition (the XPath that applies the tag; empty for a
    manual tag), comment, kernel_opts."""
    return _curated(tags, {"name": ("name", _TEXT), "definition": ("definition", _TEXT),
                           "comment": ("comment", _TEXT), "kernel_opts": ("kernel_opts", _TEXT)})


def subnets_frame(subnets) -> pd.DataFrame:
    """Subnets indexed by ``cidr``: name, id, fabric, vlan, vid, space, gateway_ip,
    dns_servers (list), managed, active_discovery, allow_dns, allow_proxy."""
    return _curated(subnets, {
        "cidr": ("cidr", _TEXT), "name": ("name", _TEXT), "id": ("id", "Int64"), **_VLAN_OF_ROW,
        "space": ("space", "category"), "gateway_ip": ("gateway_ip", _TEXT),
        "dns_servers": ("dns_servers", None), "managed": ("managed", "boolean"),
        "active_discovery": ("active_discovery", "boolean"),
        "allow_dns": ("allow_dns", "boolean"), "allow_proxy": ("allow_proxy", "boolean"),
    })


def vlans_frame(vlans) -> pd.DataFrame:
    """VLANs indexed by their MAAS ``id`` (a ``vid`` repeats across fabrics): fabric, vid,
    name, mtu, dhcp_on, external_dhcp, relay_vlan, space, primary_rack, secondary_rack."""
    return _curated(vlans, {
        "id": ("id", "Int64"), "fabric": ("fabric", "category"), "vid": ("vid", "Int64"),
        "name": ("name", _TEXT), "mtu": ("mtu", "Int64"), "dhcp_on": ("dhcp_on", "boolean"),
        "external_dhcp": ("external_dhcp", _TEXT), "relay_vlan": ("relay_vlan", "Int64"),
        "space": ("space", "category"), "primary_rack": ("primary_rack", _TEXT),
        "secondary_rack": ("secondary_rack", _TEXT),
    })


def fabrics_frame(fabrics) -> pd.DataFrame:
    """Fabrics indexed by ``name``: id, class_type, vlans (how many), vids (list)."""
    return _curated(fabrics, {
        "name": ("name", _TEXT), "id": ("id", "Int64"), "class_type": ("class_type", _TEXT),
        "vlans": (lambda row: len(row.get("vlans") or ()), "Int64"),
        "vids": (lambda row: [vlan.get("vid") for vlan in row.get("vlans") or ()], None),
    })


def boot_resources_frame(resources) -> pd.DataFrame:
    """Boot resources (images) indexed by ``id``: name, arch, type (Synced, Uploaded ...),
    subarches (list), kflavor, title, base_image, last_deployed (datetime)."""
    return _curated(resources, {
        "id": ("id", "Int64"), "name": ("name", "category"),
        "arch": ("architecture", "category"), "type": ("type", "category"),
        "subarches": (lambda row: _comma_list(row.get("subarches")), None),
        "kflavor": ("kflavor", "category"), "title": ("title", _TEXT),
        "base_image": ("base_image", _TEXT), "last_deployed": ("last_deployed", "datetime"),
    })


def users_frame(users) -> pd.DataFrame:
    """Users indexed by ``username``: email, admin (``is_superuser``), local (``is_local``;
    False for users of an external identity provider)."""
    return _curated(users, {
        "username": ("username", _TEXT), "email": ("email", _TEXT),
        "admin": ("is_superuser", "boolean"), "local": ("is_local", "boolean"),
    })


_FRAMES = {
    "machine": machines_frame, "event": events_frame, "zone": zones_frame,
    "pool": pools_frame, "resourcepool": pools_frame, "tag": tags_frame,
    "subnet": subnets_frame, "vlan": vlans_frame, "fabric": fabrics_frame,
    "bootresource": boot_resources_frame, "user": users_frame,
}


def frame_for(records, hint: str | None = None) -> pd.DataFrame:
    """The best frame for an API result: ``machines_frame`` for machines, ``events_frame``
    for an events query, ``zones_frame``, ``pools_frame``, ``tags_frame``, ``subnets_frame``,
    ``vlans_frame``, ``fabrics_frame``, ``boot_resources_frame`` or ``users_frame`` for those
    lists, else ``to_frame``.

    ``hint`` is the handler's name (``"machines"``, ``"boot-resources"`` ...); without one
    the kind is read from the first item (its fields, else its ``resource_uri``).
    """
    return _FRAMES.get(kind_of(records, hint, _FRAMES), to_frame)(records)


def inventory(client, **filters) -> pd.DataFrame:
    """``machines_frame(client.machines.read(**filters))``: the filters (``status="ready"``,
    ``pool=``, ``zone=``, ``tags=``, ``owner=`` ...) are applied by the server, which is far
    cheaper than listing every machine and filtering the frame."""
    return machines_frame(client.machines.read(**filters))


def _as_records(records) -> list:
    if records is None:
        return []
    if isinstance(records, dict):
        return [records]
    if isinstance(records, (str, bytes)):
        raise TypeError(f"expected a list of MAAS objects, not {type(records).__name__}")
    return records if isinstance(records, list) else list(records)


def _curated(records, columns: dict) -> pd.DataFrame:
    # columns: {name: (where, dtype)}, the first one the index; ``where`` as in pick(), dtype
    # one of _BUILDERS (None: Python objects, such as lists).
    records = _as_records(records)
    data = {name: _BUILDERS.get(dtype, _objects)([pick(record, where) for record in records])
            for name, (where, dtype) in columns.items()}
    return pd.DataFrame(data, columns=list(columns)).set_index(next(iter(columns)))


_STATUS_POSITION = {name: position for position, name in enumerate(MACHINE_STATUSES)}


def _statuses(codes, names) -> pd.Categorical:
    # A status a newer MAAS adds is kept, after the known ones, rather than turned into NA.
    extra = sorted((name for name in names if name not in _STATUS_POSITION), key=str)
    position = {**_STATUS_POSITION, **{name: len(MACHINE_STATUSES) + i
                                       for i, name in enumerate(extra)}}
    remap = np.array([position[name] for name in names] + [-1], dtype=np.intp)  # -1 stays NA
    return pd.Categorical.from_codes(remap[np.asarray(codes, dtype=np.intp)],
                                     categories=[*MACHINE_STATUSES, *extra], ordered=True)


def _category(codes, categories) -> pd.Categorical:
    # From codes (see Coder), with the categories sorted so listings and legends are stable.
    order = sorted(range(len(categories)), key=lambda i: str(categories[i]))
    remap = np.full(len(categories) + 1, -1, dtype=np.intp)  # the last one maps NA (-1)
    remap[order] = np.arange(len(order))
    return pd.Categorical.from_codes(remap[np.asarray(codes, dtype=np.intp)],
                                     categories=[categories[i] for i in order])


def _text(values) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype=_TEXT)  # None becomes NA, a non-string its str()


def _floats(values, divisor: float = 1) -> pd.arrays.FloatingArray:
    try:
        numbers = np.array(values, dtype=float)  # None becomes NaN, in C
    except (TypeError, ValueError):  # something that is not a number: NA for it, not an error
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
    return pd.arrays.FloatingArray(numbers / divisor, np.isnan(numbers))


def _integers(values) -> pd.arrays.IntegerArray:
    floats = _floats(values)
    return pd.arrays.IntegerArray(floats.to_numpy(dtype=float, na_value=0).astype(np.int64),
                                  floats.isna())


def _booleans(values) -> pd.arrays.BooleanArray:
    return pd.array([value if isinstance(value, bool) else None for value in values],
                    dtype="boolean")


def _objects(values) -> np.ndarray:
    # Slice assignment into a 1-D object array stores each item as it is, lists included
    # (np.array() would read equal-length lists as rows of a 2-D array).
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _comma_list(value) -> list:
    return value.split(",") if isinstance(value, str) and value else []


def _times(values) -> pd.api.extensions.ExtensionArray:
    raw = pd.Series(values, dtype=object)
    times = pd.to_datetime(raw, format=_TIME_FORMATS[0], errors="coerce")
    for fmt in _TIME_FORMATS[1:]:
        todo = times.isna() & raw.notna()
        if not todo.any():
            break
        times[todo] = pd.to_datetime(raw[todo], format=fmt, errors="coerce")
    return times.array


_BUILDERS = {"category": lambda values: _category(*encode(values)), "Int64": _integers,
             "Float64": _floats, "boolean": _booleans, "datetime": _times, _TEXT: _text}
