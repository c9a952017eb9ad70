"""Zones, resource pools, tags, boot resources and the network (subnets, fabrics, VLANs)."""

from __future__ import annotations

import re

from ..api import Handler, Param, Response, bad_request, not_found
from ..machine import Tag
from .machines import machine_list

ZONES = Handler("ZonesHandler", "/MAAS/api/2.0/zones/", "Manage physical zones.")
ZONE = Handler("ZoneHandler", "/MAAS/api/2.0/zones/{name}/",
               "Manage a physical zone.\n\nA zone is identified by its name.")
POOLS = Handler("ResourcePoolsHandler", "/MAAS/api/2.0/resourcepools/",
                "Manage resource pools.")
POOL = Handler("ResourcePoolHandler", "/MAAS/api/2.0/resourcepool/{id}/",
               "Manage a resource pool.\n\nA pool is identified by its id (or its name).")
TAGS = Handler("TagsHandler", "/MAAS/api/2.0/tags/", "Manage all tags known to MAAS.")
TAG = Handler("TagHandler", "/MAAS/api/2.0/tags/{name}/",
              "Manage a tag.\n\nA tag is identified by its name.")
BOOT_RESOURCES = Handler("BootResourcesHandler", "/MAAS/api/2.0/boot-resources/",
                         "Manage the boot resources (images) of this MAAS.")
SUBNETS = Handler("SubnetsHandler", "/MAAS/api/2.0/subnets/", "Manage subnets.")
FABRICS = Handler("FabricsHandler", "/MAAS/api/2.0/fabrics/", "Manage fabrics.")
VLANS = Handler("VlansHandler", "/MAAS/api/2.0/fabrics/{fabric_id}/vlans/",
                "Manage the VLANs of a fabric.")

_TAG_NAME = re.compile(r"^[\w-]+$")


@ZONES.action("GET", None, "List zones", "Every physical zone; there is always ``default``.")
def list_zones(call):
    return [zone.as_dict() for zone in call.state.zones.values()]


@ZONE.action("GET", None, "Read a zone", "The zone with the given name.")
def read_zone(call):
    zone = call.state.zones.get(call.uri["name"])
    if zone is None:
        raise not_found("Zone")
    return zone.as_dict()


@POOLS.action("GET", None, "List resource pools",
              "Every resource pool; there is always ``default``.")
def list_pools(call):
    return [pool.as_dict() for pool in call.state.pools.values()]


@POOL.action("GET", None, "Read a resource pool", "The pool with the given id (or name).")
def read_pool(call):
    return call.state.find_pool(call.uri["id"]).as_dict()


@TAGS.action("GET", None, "List tags", "Every tag.")
def list_tags(call):
    return [tag.as_dict() for tag in call.state.tags.values()]


@TAGS.action(
    "POST", None, "Create a tag", "Create a new tag (administrators only).",
    Param("name", "String", "The new tag's name (letters, digits, hyphens and underscores); "
          "it appears in URLs, so keep it short.", True),
    Param("comment", "String", "What the tag is for, in words."),
    Param("definition", "String", "An XPath expression over the machines' hardware details "
          "(stored, not evaluated by the sandbox)."),
    Param("kernel_opts", "String", "Kernel options for machines carrying the tag."),
)
def create_tag(call):
    call.require_admin()
    params, tags = call.params, call.state.tags
    name = params.required("name")
    if not _TAG_NAME.match(name):
        raise bad_request("name", "Tag names may contain letters, digits, hyphens and "
                          "underscores only.")
    if name in tags:
        raise bad_request("name", "Tag with this Name already exists.")
    tags[name] = Tag(name, params.get("comment", ""), params.get("definition", ""),
                     params.get("kernel_opts", ""))
    return tags[name].as_dict()


def _tag(call) -> Tag:
    tag = call.state.tags.get(call.uri["name"])
    if tag is None:
        raise not_found("Tag")
    return tag


@TAG.action("GET", None, "Read a tag", "The tag with the given name.")
def read_tag(call):
    return _tag(call).as_dict()


@TAG.action("DELETE", None, "Delete a tag",
            "Delete the tag and take it off every machine (administrators only).")
def delete_tag(call):
    call.require_admin()
    tag = _tag(call)
    for machine in call.state.machines.values():
        if tag.name in machine.tags:
            machine.tags.discard(tag.name)
            machine.changed()
    del call.state.tags[tag.name]
    return Response(204)


@TAG.action(
    "POST", "update_nodes", "Add or remove machines by tag",
    "Tag and untag machines (administrators only). Unknown system_ids are ignored. Answers "
    "how many machines were ``added`` and ``removed``.",
    Param("add", "String", "A system_id to tag; repeat for several."),
    Param("remove", "String", "A system_id to untag; repeat for several."),
)
def update_nodes(call):
    call.require_admin()
    tag, machines = _tag(call), call.state.machines
    added = removed = 0
    for system_id in call.params.list("add"):
        machine = machines.get(system_id)
        if machine is not None and tag.name not in machine.tags:
            machine.tags.add(tag.name)
            machine.changed()
            added += 1
    for system_id in call.params.list("remove"):
        machine = machines.get(system_id)
        if machine is not None and tag.name in machine.tags:
            machine.tags.discard(tag.name)
            machine.changed()
            removed += 1
    return {"added": added, "removed": removed}


@TAG.action("GET", "machines", "List machines by tag",
            "The machines visible to you that carry the tag.")
def tagged_machines(call):
    tag, state = _tag(call), call.state
    return machine_list(m for m in state.machines.values()
                        if tag.name in m.tags and state.may_see(call.user, m))


@BOOT_RESOURCES.action("GET", None, "List boot resources",
                       "The boot images: Ubuntu focal, jammy and noble, and CentOS 7.")
def list_boot_resources(call):
    return call.state.boot_resources


@SUBNETS.action("GET", None, "List subnets", "Every subnet.")
def list_subnets(call):
    return call.state.subnets


@FABRICS.action("GET", None, "List fabrics", "Every fabric, with its VLANs.")
def list_fabrics(call):
    return call.state.fabrics


@VLANS.action("GET", None, "List VLANs", "The VLANs of the fabric with the given id.")
def list_vlans(call):
    for fabric in call.state.fabrics:
        if str(fabric["id"]) == call.uri["fabric_id"]:
            return fabric["vlans"]
    raise not_found("Fabric")
