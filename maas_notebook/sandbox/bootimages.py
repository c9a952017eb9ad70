"""The boot images the sandbox offers: Ubuntu focal, jammy and noble, and CentOS 7.

They decide which ``osystem``/``distro_series``/``hwe_kernel`` a deploy accepts.
"""

from __future__ import annotations

from .machine import API

#: (osystem, series, version, architectures) of every image.
IMAGES = [
    ("ubuntu", "focal", "20.04", ("amd64", "arm64")),
    ("ubuntu", "jammy", "22.04", ("amd64", "arm64")),
    ("ubuntu", "noble", "24.04", ("amd64", "arm64")),
    ("centos", "centos70", "7", ("amd64",)),
]


def kernels(osystem: str, series: str) -> list[str]:
    """The kernels an image can boot, first the default (GA); none for non-Ubuntu images."""
    for os_name, name, version, _ in IMAGES:
        if (os_name, name) == (osystem, series):
            return [f"ga-{version}", f"hwe-{version}"] if os_name == "ubuntu" else []
    return []


def find_image(osystem: str, series: str):
    """``(osystem, series, version, architectures)`` of an image, or ``None``."""
    for image in IMAGES:
        if image[:2] == (osystem, series):
            return image
    return None


def series_choices() -> list[str]:
    """Every ``osystem/series`` pair, for error messages."""
    return [f"{os_name}/{series}" for os_name, series, _, _ in IMAGES]


def boot_resources() -> list[dict]:
    """The list ``boot-resources read`` answers: one entry per image, architecture and kernel."""
    found = []
    for os_name, series, version, arches in IMAGES:
        for arch in arches:
            subarches = kernels(os_name, series) or ["generic"]
            for subarch in subarches:
                resource_id = len(found) + 1
                found.append({
                    "id": resource_id, "type": "Synced", "name": f"{os_name}/{series}",
                    "architecture": f"{arch}/{subarch}",
                    "subarches": ",".join(["generic", *subarches]) if os_name == "ubuntu"
                    else "generic",
                    "resource_uri": f"{API}/boot-resources/{resource_id}/"})
    return found
