"""Choices the server already knows, for dropdowns: machines, zones, pools, tags and the
operating systems, series and kernels of its boot resources. Each list is fetched once per
:class:`Choices` and only when a form needs it; a failed fetch just means no dropdown."""

from __future__ import annotations

from functools import cached_property

from ..errors import MAASError

#: Parameter name -> the Choices property that lists its values.
CHOICE_SOURCES = {
    "system_id": "machines", "zone": "zones", "pool": "pools", "tags": "tags",
    "not_tags": "tags", "osystem": "osystems", "distro_series": "series",
    "hwe_kernel": "kernels",
}


def _is_bootloader(name: str) -> bool:
    return name.startswith(("grub", "pxelinux"))


class Choices:
    """Lazily fetched (label, value) lists from one client."""

    def __init__(self, client):
        self.client = client

    def for_param(self, name: str) -> list[tuple[str, str]] | None:
        """The choices for parameter ``name``, or None when the server offers none."""
        source = CHOICE_SOURCES.get(name)
        return getattr(self, source) if source else None

    def _read(self, handler: str) -> list[dict]:
        try:
            result = self.client.handler(handler).read()
        except (MAASError, AttributeError):
            return []
        return result if isinstance(result, list) else []

    @cached_property
    def machines(self) -> list[tuple[str, str]]:
        machines = sorted(self._read("machines"), key=lambda m: m.get("hostname") or "")
        return [(f"{m.get('hostname', m['system_id'])} ({m.get('status_name', '?')})", m["system_id"])
                for m in machines if "system_id" in m]

    @cached_property
    def zones(self) -> list[tuple[str, str]]:
        return _named(self._read("zones"))

    @cached_property
    def pools(self) -> list[tuple[str, str]]:
        return _named(self._read("resource_pools"))

    @cached_property
    def tags(self) -> list[tuple[str, str]]:
        return _named(self._read("tags"))

    @cached_property
    def boot_resources(self) -> list[dict]:
        return [r for r in self._read("boot_resources")
                if "/" in r.get("name", "") and not _is_bootloader(r["name"])]

    @cached_property
    def osystems(self) -> list[tuple[str, str]]:
        return _pairs(r["name"].split("/")[0] for r in self.boot_resources)

    @cached_property
    def series(self) -> list[tuple[str, str]]:
        return _pairs(r["name"].split("/", 1)[1] for r in self.boot_resources)

    def series_of(self, osystem: str) -> list[tuple[str, str]]:
        """The series of one operating system (ubuntu -> focal, jammy, noble ...)."""
        return _pairs(r["name"].split("/", 1)[1] for r in self.boot_resources
                      if r["name"].split("/")[0] == osystem)

    @cached_property
    def kernels(self) -> list[tuple[str, str]]:
        found = []
        for resource in self.boot_resources:
            kernel = resource.get("architecture", "").partition("/")[2]
            if kernel.startswith(("ga-", "hwe-")):
                found.append(kernel)
        return _pairs(found)


def _named(items: list[dict]) -> list[tuple[str, str]]:
    return _pairs(item["name"] for item in items if "name" in item)


def _pairs(values) -> list[tuple[str, str]]:
    return [(v, v) for v in sorted(set(values))]
