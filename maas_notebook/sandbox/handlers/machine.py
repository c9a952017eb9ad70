"""``machine``: read, update, deploy, release, abort, power and owner data of one machine."""

from __future__ import annotations

import base64
import binascii
import re

from .. import bootimages, statuses
from ..api import ApiError, Handler, Param, bad_request

MACHINE = Handler("MachineHandler", "/MAAS/api/2.0/machines/{system_id}/",
                  "Manage an individual machine.\n\nA machine is identified by its system_id.")

_HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_COMMENT = Param("comment", "String", "A comment for the event log.")


def _machine(call, editing: bool = False):
    machine = call.state.machine(call.uri["system_id"], call.user)
    if editing:
        call.state.may_edit(call.user, machine)
    return machine


def _check_base64(params, name: str) -> None:
    value = params.get(name)
    if value:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(name, "The value is not valid base64: encode the data (for "
                                    "example with base64.b64encode) before sending it.") from None


@MACHINE.action("GET", None, "Read a machine", "The machine with the given system_id.")
def read(call):
    return _machine(call).as_dict()


@MACHINE.action(
    "PUT", None, "Update a machine", "Change a machine's name, description, zone or pool "
    "(administrators only).",
    Param("hostname", "String", "The new hostname (letters, digits and hyphens)."),
    Param("description", "String", "The new description."),
    Param("zone", "String", "The name of the zone to move the machine to."),
    Param("pool", "String", "The name or id of the resource pool to move the machine to."),
)
def update(call):
    call.require_admin()
    machine, params, state = _machine(call), call.params, call.state
    hostname = params.get("hostname")
    if hostname is not None and hostname != machine.hostname:
        if not _HOSTNAME.match(hostname):
            raise bad_request("hostname", f"Invalid hostname: {hostname!r} must be letters, "
                              "digits and hyphens, not starting or ending with a hyphen.")
        if any(other.hostname == hostname for other in state.machines.values()):
            raise bad_request("hostname", f"Node with hostname {hostname!r} already exists.")
    zone = params.get("zone")
    if zone is not None and zone not in state.zones:
        raise bad_request("zone", "Select a valid choice. That choice is not one of the "
                          "available choices.")
    pool = state.find_pool(params.get("pool")) if params.get("pool") else machine.pool
    machine.hostname = hostname or machine.hostname
    machine.description = params.get("description", machine.description)
    machine.pool = pool
    if zone:
        machine.zone = state.zones[zone]
    return machine.as_dict()


@MACHINE.action(
    "POST", "deploy", "Deploy a machine",
    """Deploy an operating system to the machine.

    A Ready machine is allocated to you first; an Allocated one must be yours (or you an
    administrator). The machine goes to Deploying, then Deployed (or Failed deployment).
    Any other status answers 409.""",
    Param("osystem", "String", "The OS to deploy (default: the default_osystem setting)."),
    Param("distro_series", "String", "The release to deploy, e.g. ``jammy`` or "
          "``ubuntu/jammy`` (default: the default_distro_series setting)."),
    Param("hwe_kernel", "String", "The kernel, e.g. ``ga-22.04`` or ``hwe-22.04``."),
    Param("user_data", "String", "Base64-encoded user data (cloud-init) for the machine."),
    _COMMENT,
)
def deploy(call):
    machine, params, state = _machine(call), call.params, call.state
    if machine.owner not in (None, call.user.username):
        state.may_edit(call.user, machine)
    _check_base64(params, "user_data")
    osystem = params.get("osystem") or state.config["default_osystem"]
    series = params.get("distro_series") or state.config["default_distro_series"]
    if "/" in series:
        osystem, series = series.split("/", 1)
    image = bootimages.find_image(osystem, series)
    if image is None:
        raise bad_request("distro_series", f"'{osystem}/{series}' is not a valid distro_series."
                          f"  It should be one of: {', '.join(bootimages.series_choices())}.")
    arch = machine.architecture.split("/")[0]
    if arch not in image[3]:
        raise bad_request("distro_series", f"{osystem}/{series} has no {arch} image.")
    kernels = bootimages.kernels(osystem, series)
    kernel = params.get("hwe_kernel") or (kernels[0] if kernels else None)
    if kernel is not None and kernel not in kernels:
        raise bad_request("hwe_kernel", f"{kernel} is not available for {osystem}/{series}; "
                          f"choose one of: {', '.join(kernels) or 'none'}.")
    state.lifecycle.deploy(machine, call.user, state.clock(), osystem, series, kernel,
                           params.get("comment", ""))
    return machine.as_dict()


@MACHINE.action(
    "POST", "release", "Release a machine",
    """Release the machine back to Ready, optionally erasing its disks on the way.

    The machine goes to Releasing (or Disk erasing), then Ready; its owner, owner data and OS
    are cleared. Releasing a Ready or Releasing machine does nothing.""",
    _COMMENT,
    Param("erase", "Boolean", "Erase the disks before the machine is Ready again."),
    Param("secure_erase", "Boolean", "Use the drives' secure erase (implies erase)."),
    Param("quick_erase", "Boolean", "Wipe only the start and end of each disk (implies erase)."),
)
def release(call):
    machine, params, state = _machine(call, editing=True), call.params, call.state
    if machine.status in ("READY", "RELEASING"):
        return machine.as_dict()
    if machine.status not in statuses.RELEASABLE:
        raise ApiError(409, "Machine cannot be released in its current state "
                            f"('{machine.status_name}').")
    quick = params.bool("quick_erase", state.config["disk_erase_with_quick_erase"])
    erase = (params.bool("erase", state.config["enable_disk_erasing_on_release"])
             or params.bool("secure_erase") or quick)
    state.lifecycle.release(machine, call.user, state.clock(), erase, quick,
                            params.get("comment", ""))
    return machine.as_dict()


@MACHINE.action("POST", "abort", "Abort the machine's current operation",
                "Deploying goes back to Allocated, Disk erasing to Failed disk erasing, "
                "Commissioning to New. Any other status answers 409.", _COMMENT)
def abort(call):
    machine = _machine(call, editing=True)
    call.state.lifecycle.abort(machine, call.user, call.state.clock(),
                               call.params.get("comment", ""))
    return machine.as_dict()


@MACHINE.action("POST", "power_on", "Power on a machine", "Turn the machine on.",
                Param("user_data", "String", "Base64-encoded user data for the machine."),
                _COMMENT)
def power_on(call):
    _check_base64(call.params, "user_data")
    return _set_power(call, "on")


@MACHINE.action("POST", "power_off", "Power off a machine", "Turn the machine off.",
                Param("stop_mode", "String", "``soft`` asks the OS to shut down first; "
                      "anything else (the default) cuts the power."),
                _COMMENT)
def power_off(call):
    return _set_power(call, "off")


def _set_power(call, power_state: str):
    machine, state = _machine(call, editing=True), call.state
    now, comment = state.clock(), call.params.get("comment", "")
    verb = "on" if power_state == "on" else "off"
    state.lifecycle.note(machine, f"Power {verb}", comment or f"Powered {verb} "
                         f"'{machine.hostname}'.", "AUDIT", call.user, now)
    state.events.add(machine, f"Powering {verb}", "", "INFO", call.user.username, now)
    machine.power_state = power_state
    return machine.as_dict()


@MACHINE.action("GET", "query_power_state", "Get the power state of a machine",
                "Ask the machine's power controller whether it is on or off.")
def query_power_state(call):
    return {"state": _machine(call).power_state}


@MACHINE.action(
    "POST", "set_owner_data", "Set owner data",
    """Set key/value data for the machine's owner: every parameter sent becomes a key.

    An empty value removes the key; keys not sent are kept. All owner data is removed when
    the machine is released.""")
def set_owner_data(call):
    machine = _machine(call, editing=True)
    for key, value in call.params.items():
        if value == "":
            machine.owner_data.pop(key, None)
        else:
            machine.owner_data[key] = value
    machine.changed()
    return machine.as_dict()


MACHINE.declare("GET", "details", "Get system details",
                "The machine's LLDP and lshw XML dumps, as BSON. Not simulated by the sandbox.")
MACHINE.declare("POST", "commission", "Commission a machine",
                "Start commissioning the machine. Not simulated by the sandbox.",
                Param("enable_ssh", "Boolean", "Whether to enable SSH for the commissioning "
                      "environment."))
