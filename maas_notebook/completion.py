"""Tab completion for ``%maas``: profiles, handlers, actions, ``key=`` names and, where
cheap and known, values (system_ids and hostnames from the last listing, zones, pools,
tags, statuses, distro series). Never raises: a completer that fails completes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from .description import python_name
from .magicparse import FLAGS, VERBS

if TYPE_CHECKING:  # pragma: no cover
    from .magic import MaasMagic

# Filter values MAAS accepts for machines read status= (server-side names).
STATUSES = ("new", "commissioning", "failed_commissioning", "ready", "allocated", "deploying",
            "deployed", "failed_deployment", "releasing", "disk_erasing", "broken", "testing",
            "failed_testing", "rescue_mode", "exiting_rescue_mode")
_KEYS = ("%maas", "%%maas")


def install(ipython, magic: "MaasMagic") -> None:
    """Hook the completer into IPython for ``%maas`` and ``%%maas`` lines."""
    completer = Completer(magic)
    for key in _KEYS:
        ipython.set_hook("complete_command", lambda _self, event: completer(event.line), str_key=key)


def uninstall(ipython) -> None:
    dispatcher = ipython.strdispatchers.get("complete_command")
    for key in _KEYS:
        if dispatcher is not None:
            dispatcher.strs.pop(key, None)


class Completer:
    """Completions for one line, from the magic's live connection."""

    def __init__(self, magic: "MaasMagic"):
        self.magic = magic
        self._values: dict[str, list[str]] = {}

    def __call__(self, line: str) -> list[str]:
        try:
            return self.complete(line)
        except Exception:  # noqa: BLE001 - completion must never break typing
            return []

    def complete(self, line: str) -> list[str]:
        text = line.partition(" ")[2]  # what follows %maas
        words = text.split()
        if not words or text.endswith(" "):
            words.append("")  # completing a new, empty word
        done, partial = words[:-1], words[-1]
        positional = [w for w in done if "=" not in w and not w.startswith("--")]
        if partial.startswith("-"):
            return [f for f in FLAGS if f.startswith(partial)]
        client = self.magic._client(self.magic.profile)
        if positional and positional[0] in self.magic._profile_names():
            client, positional = self.magic._client(positional[0]), positional[1:]
        handlers = client.description.handlers
        if not positional:
            names = [h.cli_name for h in handlers.values()] + list(VERBS) + sorted(self.magic._profile_names())
            return _starting(names, partial)
        handler = handlers.get(python_name(positional[0]))
        if handler is None:
            return []
        if len(positional) == 1:
            return _starting([a.cli_name for a in handler.actions.values()], partial)
        action = handler.actions.get(python_name(positional[1]))
        if action is None:
            return []
        key, eq, value = partial.partition("=")
        if eq:  # IPython splits tokens at "=", so complete the value alone
            return _starting(self._values_for(key, client), value)
        if len(positional) - 2 < len(handler.uri_params):
            return _starting(self._values_for(handler.uri_params[len(positional) - 2], client)
                             + [f"{p.name}=" for p in action.params], partial)
        return _starting([f"{p.name}=" for p in action.params], partial)

    def _values_for(self, key: str, client) -> list[str]:
        listing = self.magic.last_listing
        if key in ("system_id", "id", "hostname"):
            return [str(m[key]) for m in listing if isinstance(m, dict) and key in m]
        if key == "status":
            return list(STATUSES)
        source = _SOURCES.get(key)
        if source is None:
            return []
        if key not in self._values:  # one request per kind and session: cheap enough
            self._values[key] = sorted(set(source(client)))
        return self._values[key]


def _starting(names: list[str], prefix: str) -> list[str]:
    return [n for n in names if n.startswith(prefix)]


def _names(handler: str) -> Callable:
    return lambda client: [item["name"] for item in client.handler(handler).read()]


def _series(client) -> list[str]:
    return [r["name"].split("/")[-1] for r in client.boot_resources.read() if "/" in r.get("name", "")]


_SOURCES: dict[str, Callable] = {
    "zone": _names("zones"), "pool": _names("resource_pools"), "tags": _names("tags"),
    "not_tags": _names("tags"), "tag": _names("tags"), "distro_series": _series,
}
