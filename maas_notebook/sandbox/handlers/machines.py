"""``machines``: list with server-side filters, allocate with constraints; the anonymous
``is_registered``."""

from __future__ import annotations

from .. import statuses
from ..api import ApiError, Handler, Param, RawJSON, bad_request

MACHINES = Handler("MachinesHandler", "/MAAS/api/2.0/machines/",
                   "Manage the collection of all the machines in the MAAS.")
ANON_MACHINES = Handler("AnonMachinesHandler", "/MAAS/api/2.0/machines/",
                        "Anonymous access to the collection of machines.")

KNOWN_ARCHES = {"amd64", "arm64", "armhf", "i386", "ppc64el", "s390x"}
_REPEAT = "Repeat the parameter to match any of several values."


def machine_list(machines) -> RawJSON:
    """A JSON list of machines, joined from their cached JSON texts."""
    return RawJSON("[" + ",".join(machine.json() for machine in machines) + "]")


@MACHINES.action(
    "GET", None, "List machines",
    """List the machines visible to you, optionally filtered on the server.

    Filters combine with AND; a filter given several times matches any of its values (OR),
    except ``tags``, where a machine must carry every tag given (as in MAAS). Machines come in
    the order they were added.""",
    Param("hostname", "String", f"Only machines with this hostname. {_REPEAT}"),
    Param("id", "String", f"Only machines with this system_id. {_REPEAT}"),
    Param("system_id", "String", f"The same as ``id``. {_REPEAT}"),
    Param("mac_address", "String", f"Only machines with a NIC of this MAC address. {_REPEAT}"),
    Param("status", "String", "Only machines in this status, written as MAAS's constant "
          f"in lower case: ``ready``, ``deployed``, ``failed_deployment`` ... {_REPEAT}"),
    Param("zone", "String", f"Only machines in this zone. {_REPEAT}"),
    Param("pool", "String", f"Only machines in this resource pool. {_REPEAT}"),
    Param("tags", "String", "Only machines carrying this tag; repeat to require several."),
    Param("owner", "String", f"Only machines allocated to this user. {_REPEAT}"),
    Param("arch", "String", f"Only machines of this architecture (``amd64`` or "
          f"``amd64/generic``). {_REPEAT}"),
    Param("fabrics", "String", f"Only machines with a NIC on this fabric. {_REPEAT}"),
    Param("power_state", "String", f"Only machines in this power state (on, off, unknown). "
          f"{_REPEAT}"),
    Param("cpu_count", "Int", "Only machines with at least this many CPU cores."),
    Param("mem", "Int", "Only machines with at least this much memory, in MiB."),
)
def read(call):
    keep = _read_filter(call.params)
    return machine_list(m for m in call.state.machines.values()
                        if call.state.may_see(call.user, m) and keep(m))


def _read_filter(params):
    """A predicate on machines from the ``machines read`` filters."""
    wanted_statuses = set()
    for text in params.list("status"):
        constant = statuses.parse_status(text)
        if constant is None:
            raise bad_request("status", f"Select a valid choice. {text} is not one of the "
                              "available choices.")
        wanted_statuses.add(constant)
    equal_to = {  # filter name -> how to read the value it compares with
        "hostname": lambda m: m.hostname, "zone": lambda m: m.zone.name,
        "pool": lambda m: m.pool.name, "owner": lambda m: m.owner,
        "power_state": lambda m: m.power_state, "status": lambda m: m.status}
    wanted = {name: set(params.list(name)) for name in equal_to if name != "status"}
    wanted["status"] = wanted_statuses
    system_ids = set(params.list("id")) | set(params.list("system_id"))
    macs = {mac.lower() for mac in params.list("mac_address")}
    tags, fabrics = set(params.list("tags")), set(params.list("fabrics"))
    arches = params.list("arch")
    cpu_count, mem = params.int("cpu_count"), params.int("mem")

    def keep(machine) -> bool:
        for name, read_value in equal_to.items():
            if wanted[name] and read_value(machine) not in wanted[name]:
                return False
        return ((not system_ids or machine.system_id in system_ids)
                and (not macs or any(mac in macs for mac in machine.macs))
                and tags <= machine.tags
                and (not fabrics or bool(fabrics & machine.fabrics))
                and (not arches or any(arch_matches(machine, a) for a in arches))
                and (cpu_count is None or machine.cpu_count >= cpu_count)
                and (mem is None or machine.memory >= mem))
    return keep


def arch_matches(machine, wanted: str) -> bool:
    """``amd64`` matches ``amd64/generic``; a full ``arch/subarch`` must match exactly."""
    return machine.architecture == wanted or machine.architecture.split("/")[0] == wanted


_CONSTRAINTS = ("name", "system_id", "arch", "cpu_count", "mem", "tags", "not_tags", "zone",
                "not_in_zone", "pool", "not_in_pool")


@MACHINES.action(
    "POST", "allocate", "Allocate a machine",
    """Allocate a Ready machine matching every constraint given, to you.

    Of the machines that match, the smallest (fewest cores, then least memory) is chosen.
    Answers 409 when no Ready machine matches, and 400 for an unknown zone, pool, tag or
    architecture.""",
    Param("name", "String", "Hostname or FQDN of the wanted machine."),
    Param("system_id", "String", "system_id of the wanted machine."),
    Param("arch", "String", "Architecture (``amd64``, ``arm64/generic`` ...); repeat to accept "
          "any of several."),
    Param("cpu_count", "Int", "Minimum number of CPU cores."),
    Param("mem", "Int", "Minimum memory in MiB."),
    Param("tags", "String", "A tag the machine must carry; repeat for several (all required)."),
    Param("not_tags", "String", "A tag the machine must not carry; repeat for several."),
    Param("zone", "String", "The zone the machine must be in."),
    Param("not_in_zone", "String", "A zone the machine must not be in; repeat for several."),
    Param("pool", "String", "The resource pool the machine must belong to."),
    Param("not_in_pool", "String", "A pool the machine must not belong to; repeat for several."),
    Param("dry_run", "Boolean", "If true, answer with the machine that would be allocated, "
          "without allocating it."),
    Param("comment", "String", "A comment for the event log."),
)
def allocate(call):
    params, state = call.params, call.state
    _check_known(state, params)
    candidates = [m for m in state.machines.values()
                  if m.status == "READY" and m.owner is None and _fits(m, params)]
    if not candidates:
        given = [(name, params.list(name)) for name in params.names() if name in _CONSTRAINTS]
        resolved = " ".join(f"{name}={','.join(values)}" for name, values in given)
        raise ApiError(409, f"No available machine matches constraints: {given} "
                            f'(resolved to "{resolved}")')
    chosen = min(candidates, key=lambda m: (m.cpu_count, m.memory, m.id))
    if not params.bool("dry_run"):
        state.lifecycle.allocate(chosen, call.user, state.clock(), params.get("comment", ""))
    return chosen.as_dict()


def _check_known(state, params) -> None:
    """400 for constraints naming things that do not exist, as MAAS's form does."""
    for name in ("zone", "not_in_zone"):
        for zone in params.list(name):
            if zone not in state.zones:
                raise bad_request(name, f"No such zone(s): {zone}.")
    pool_names = {pool.name for pool in state.pools.values()}
    for name in ("pool", "not_in_pool"):
        for pool in params.list(name):
            if pool not in pool_names:
                raise bad_request(name, f"No such pool(s): {pool}.")
    for name in ("tags", "not_tags"):
        unknown = [tag for tag in params.list(name) if tag not in state.tags]
        if unknown:
            raise bad_request(name, f"No such tag(s): {', '.join(repr(t) for t in unknown)}.")
    for arch in params.list("arch"):
        if arch.split("/")[0] not in KNOWN_ARCHES:
            raise bad_request("arch", f"Architecture not recognised: {arch}.")


def _fits(machine, params) -> bool:
    name = params.get("name")
    cpu_count, mem = params.int("cpu_count"), params.int("mem")
    arches = params.list("arch")
    return ((name is None or name in (machine.hostname, f"{machine.hostname}.maas"))
            and params.get("system_id", machine.system_id) == machine.system_id
            and (not arches or any(arch_matches(machine, a) for a in arches))
            and (cpu_count is None or machine.cpu_count >= cpu_count)
            and (mem is None or machine.memory >= mem)
            and set(params.list("tags")) <= machine.tags
            and not set(params.list("not_tags")) & machine.tags
            and params.get("zone", machine.zone.name) == machine.zone.name
            and machine.zone.name not in params.list("not_in_zone")
            and params.get("pool", machine.pool.name) == machine.pool.name
            and machine.pool.name not in params.list("not_in_pool"))


@ANON_MACHINES.action(
    "GET", "is_registered", "MAC address registered",
    "Whether a machine with a NIC of the given MAC address is known to this MAAS.",
    Param("mac_address", "URL String", "The MAC address to look for.", required=True),
)
def is_registered(call):
    mac = call.params.required("mac_address").lower()
    return any(mac in machine.macs for machine in call.state.machines.values())
