"""``version``, ``users``/``user``, ``maas`` (configuration) and ``events``."""

from __future__ import annotations

import re

from .. import bootimages
from ..api import ApiError, Handler, Param, Response, bad_request, not_found

VERSION = Handler("VersionHandler", "/MAAS/api/2.0/version/",
                  "Information about this MAAS instance.")
USERS = Handler("UsersHandler", "/MAAS/api/2.0/users/", "Manage the user accounts of this MAAS.")
USER = Handler("UserHandler", "/MAAS/api/2.0/users/{username}/",
               "Manage a user account.\n\nA user is identified by its username.")
MAAS = Handler("MaasHandler", "/MAAS/api/2.0/maas/", "Manage the MAAS server's configuration.")
EVENTS = Handler("EventsHandler", "/MAAS/api/2.0/events/",
                 "Retrieve filtered machine events.")

CAPABILITIES = ["networks-management", "static-ipaddresses", "ipv6-deployment-ubuntu",
                "devices-management", "storage-deployment-ubuntu", "network-deployment-ubuntu",
                "bridging-interface-ubuntu", "bridging-automatic-ubuntu", "authenticate-api"]
_USERNAME = re.compile(r"^[\w.@+-]+$")


@VERSION.action("GET", None, "MAAS version information",
                "The version and capabilities of this MAAS (anonymous).")
def version(call):
    return {"capabilities": CAPABILITIES, "version": "3.5.0",
            "subversion": "maas-notebook sandbox"}


@USERS.action("GET", None, "List users", "Every user account of this MAAS.")
def list_users(call):
    return [user.as_dict() for user in call.state.users.values()]


@USERS.action("GET", "whoami", "Retrieve logged-in user", "The user whose API key signed "
              "the request.")
def whoami(call):
    return call.user.as_dict()


@USERS.action(
    "POST", None, "Create a user", "Create a user account (administrators only).",
    Param("username", "String", "The new user's name (letters, digits and @.+-_).", True),
    Param("email", "String", "The new user's email address.", True),
    Param("password", "String", "The new user's password.", True),
    Param("is_superuser", "Boolean", "Whether the new user is an administrator "
          "('0' or '1', 'false' or 'true').", True),
)
def create_user(call):
    call.require_admin()
    params, state = call.params, call.state
    username = params.required("username")
    email, _ = params.required("email"), params.required("password")
    if "is_superuser" not in params:
        raise bad_request("is_superuser", "This field is required.")
    if not _USERNAME.match(username):
        raise bad_request("username", "Enter a valid username: letters, digits and @.+-_ only.")
    if username in state.users:
        raise bad_request("username", "A user with that username already exists.")
    return state.add_user(username, email, params.bool("is_superuser")).as_dict()


@USER.action("GET", None, "Read a user", "The user with the given username.")
def read_user(call):
    user = call.state.users.get(call.uri["username"])
    if user is None:
        raise not_found("User")
    return user.as_dict()


@USER.action(
    "DELETE", None, "Delete a user",
    "Delete the user (administrators only). A user who still owns machines can be deleted "
    "only by handing them over with ``transfer_resources_to``.",
    Param("transfer_resources_to", "String", "A username to hand the user's machines to."),
)
def delete_user(call):
    call.require_admin()
    state, username = call.state, call.uri["username"]
    if username not in state.users:
        raise not_found("User")
    if username == call.user.username:
        raise ApiError(400, "You cannot delete your own account.")
    owned = [m for m in state.machines.values() if m.owner == username]
    heir = call.params.get("transfer_resources_to")
    if owned and heir is None:
        raise ApiError(400, f"User {username} cannot be deleted: {len(owned)} machine(s) are "
                            "still allocated. Release them or pass transfer_resources_to.")
    if heir is not None and heir not in state.users:
        raise bad_request("transfer_resources_to", f"No user named {heir!r}.")
    for machine in owned:
        machine.owner = heir
    del state.users[username]
    return Response(204)


_NAME = Param("name", "String", "The name of the configuration item, e.g. "
              "``default_distro_series``, ``default_osystem``, ``maas_name``, "
              "``enable_disk_erasing_on_release``, ``kernel_opts``.", True)


@MAAS.action("GET", "get_config", "Get a configuration value",
             "The value of one configuration item, as JSON.", _NAME)
def get_config(call):
    return call.state.config[_config_name(call)]


@MAAS.action("POST", "set_config", "Set a configuration value",
             "Change one configuration item (administrators only).", _NAME,
             Param("value", "String", "The new value."))
def set_config(call):
    call.require_admin()
    name, config = _config_name(call), call.state.config
    value = call.params.get("value", "")
    if isinstance(config[name], bool):
        value = call.params.bool("value")
    elif name == "default_osystem" and value not in {i[0] for i in bootimages.IMAGES}:
        raise bad_request("value", f"'{value}' is not an operating system this MAAS has "
                          "images for.")
    elif name in ("default_distro_series", "commissioning_distro_series") and not any(
            series == value for _, series, _, _ in bootimages.IMAGES):
        raise bad_request("value", f"'{value}' is not a release this MAAS has images for.")
    config[name] = value
    return Response.text("OK")


def _config_name(call) -> str:
    name = call.params.required("name")
    if name not in call.state.config:
        raise bad_request("name", f"Select a valid choice. {name} is not one of the available "
                          "choices.")
    return name


@EVENTS.action(
    "GET", "query", "List machine events",
    """Events, newest first, optionally filtered; page with ``before`` and ``after``.

    The answer holds ``count``, ``events``, ``prev_uri`` (older events) and ``next_uri``
    (newer events).""",
    Param("hostname", "String", "Only events of the machine with this hostname; repeat for "
          "several machines."),
    Param("id", "String", "Only events of the machine with this system_id; repeat for several."),
    Param("zone", "String", "Only events of machines in this zone."),
    Param("owner", "String", "Only events caused by this user."),
    Param("level", "String", "Minimum level: AUDIT, DEBUG, INFO (the default), WARNING, ERROR "
          "or CRITICAL."),
    Param("limit", "Int", "How many events at most (default 100, at most 1000)."),
    Param("before", "Int", "Only events older than this event id."),
    Param("after", "Int", "Only events newer than this event id."),
)
def query_events(call):
    return call.state.events.query(call.params, call.state.zone_of)
