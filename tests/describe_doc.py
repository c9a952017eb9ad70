"""A small describe document in MAAS's own shape, for client tests that need no ../shared.

Built the way MAAS lays one out (resources with anon/auth handlers, paths, URI params,
annotated docs), so the client under test cannot tell it from a real server's.
"""

from __future__ import annotations

import copy


def _action(name, method, op=None, params=(), title=None):
    doc = (title or name.replace("_", " ").capitalize()) + "\n\n"
    for pname, ptype, required in params:
        doc += (f" :param {pname}: {'Required' if required else 'Optional'}. The {pname}.\n"
                f":type {pname}: {ptype}\n\n")
    return {"name": name, "method": method, "op": op, "restful": op is None, "doc": doc}


def _handler(name, path, actions, params=(), doc=None):
    return {"name": name, "doc": doc or f"Manage {name}.", "params": list(params),
            "path": f"/MAAS/api/2.0/{path}", "uri": f"http://198.51.100.7:5240/MAAS/api/2.0/{path}",
            "actions": actions}


DEPLOY = [("user_data", "String", False), ("distro_series", "String", False),
          ("osystem", "String", False), ("comment", "String", False)]
ALLOCATE = [("name", "String", False), ("zone", "String", False), ("tags", "String", False),
            ("cpu_count", "Int", False), ("dry_run", "Boolean", False)]

_DOC = {
    "doc": "MAAS API", "hash": "hash-1", "handlers": [],
    "resources": [
        {"name": "UsersHandler", "anon": None, "auth": _handler("UsersHandler", "users/", [
            _action("read", "GET"), _action("whoami", "GET", "whoami"),
            _action("create", "POST", params=[("username", "String", True), ("email", "String", True),
                                               ("password", "String", False), ("is_superuser", "Boolean", True)])])},
        {"name": "UserHandler", "anon": None, "auth": _handler("UserHandler", "users/{username}/", [
            _action("read", "GET"), _action("delete", "DELETE", params=[("transfer_resources_to", "String", False)])],
            params=["username"])},
        {"name": "MachinesHandler",
         "anon": _handler("AnonMachinesHandler", "machines/", [_action("is_registered", "GET", "is_registered",
                                                                       params=[("mac_address", "String", True)]),
                                                               _action("read", "GET", title="Anonymous read")]),
         "auth": _handler("MachinesHandler", "machines/", [
             _action("read", "GET", params=[("hostname", "String", False), ("status", "String", False),
                                            ("id", "String", False)]),
             _action("allocate", "POST", "allocate", ALLOCATE)])},
        {"name": "MachineHandler", "anon": None, "auth": _handler("MachineHandler", "machines/{system_id}/", [
            _action("read", "GET"), _action("deploy", "POST", "deploy", DEPLOY),
            _action("release", "POST", "release", [("erase", "Boolean", False), ("comment", "String", False)]),
            _action("details", "GET", "details")], params=["system_id"])},
        {"name": "BootResourcesHandler", "anon": None,
         "auth": _handler("BootResourcesHandler", "boot-resources/", [_action("read", "GET")])},
        {"name": "FilesHandler", "anon": None, "auth": _handler("FilesHandler", "files/", [
            _action("add", "POST", "add", [("filename", "String", True), ("file", "File", True)])])},
        {"name": "VersionHandler", "anon": _handler("VersionHandler", "version/", [_action("read", "GET")]),
         "auth": None},
    ],
}


def describe_doc(api_hash: str = "hash-1") -> dict:
    """A fresh copy of the document (tests may change it), with ``hash`` set."""
    doc = copy.deepcopy(_DOC)
    doc["hash"] = api_hash
    return doc
