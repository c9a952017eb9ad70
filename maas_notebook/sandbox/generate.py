"""The sandbox's inventory, generated deterministically from a seed: the same seed and count
always give the same machines, hostnames, hardware and statuses.

The network (fabrics, VLANs, subnets), zones, pools, tags and boot images are fixed; machines
vary in architecture, size, vendor, disks, NICs, zone, pool, tags and status (mostly Ready;
some New, Commissioning, Allocated, Deployed, Broken and Failed deployment).
"""

from __future__ import annotations

import random
import string
import uuid

from .machine import API, Machine, Pool, Tag, Zone

ZONES = [Zone(1, "default", ""), Zone(2, "az1", "Row A, racks 1-8"),
         Zone(3, "az2", "Row B, racks 9-16"), Zone(4, "az3", "Row C, racks 17-24")]
POOLS = [Pool(0, "default", "Default pool"), Pool(1, "compute", "General compute"),
         Pool(2, "storage", "Storage nodes"), Pool(3, "gpu", "GPU nodes for ML workloads")]
TAGS = ["virtual", "nvme", "ssd", "hdd", "gpu", "sriov", "25g", "arm"]
TAG_COMMENTS = {"virtual": "QEMU/KVM guests", "nvme": "Has an NVMe disk", "gpu": "Has a GPU",
                "sriov": "NICs support SR-IOV", "25g": "25 GbE uplink", "arm": "ARM64 servers"}

#: (status constant, weight): the status mix of a generated inventory.
STATUS_MIX = [("READY", 60), ("DEPLOYED", 15), ("NEW", 6), ("ALLOCATED", 5),
              ("COMMISSIONING", 4), ("BROKEN", 5), ("FAILED_DEPLOYMENT", 5)]
BROKEN_REASONS = ["PSU 2 failed, waiting for replacement", "BMC not answering",
                  "Memory errors reported by EDAC on DIMM B2"]
DEPLOY_FAILURES = ["Installation failed (refer to the installation log for more information).",
                   "curtin: cmd-install/stage-partitioning: disk /dev/sdb not found",
                   "cloud-init: modules-final failed: package 'nvidia-driver-535' not found"]

_VENDORS = [  # vendor, product, power type, weight
    ("Dell Inc.", "PowerEdge R650", "ipmi", 30), ("HPE", "ProLiant DL360 Gen10", "redfish", 25),
    ("Supermicro", "SYS-1029P-WTR", "ipmi", 20), ("Lenovo", "ThinkSystem SR650", "redfish", 10),
    ("QEMU", "Standard PC (Q35 + ICH9, 2009)", "virsh", 15)]
_AMD64_CPUS = ["Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "AMD EPYC 7543 32-Core Processor",
               "Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz"]
_DISKS = [  # model, size in bytes, kind
    ("SAMSUNG MZ7LH480HAHQ", 480_103_981_056, "ssd"),
    ("SAMSUNG MZ7LH960HAJR", 960_197_124_096, "ssd"),
    ("INTEL SSDPE2KX040T8", 4_000_787_030_016, "nvme"),
    ("SAMSUNG MZQL21T9HCJR", 1_920_383_410_176, "nvme"),
    ("ST8000NM000A-2KE1", 8_001_563_222_016, "hdd"),
    ("QEMU HARDDISK", 107_374_182_400, "virtual")]
_SIZES = [(2, 4096), (4, 8192), (8, 16384), (16, 65536), (32, 131072), (48, 196608),
          (64, 262144), (128, 524288)]
_ADJECTIVES = ("able brave calm clever cosmic daring eager fair fancy gentle glad grand happy "
               "honest jolly keen kind lively lucky merry mighty noble polite proud quick quiet "
               "rapid sharp shiny smart solid steady sunny swift tidy vivid warm wise "
               "witty").split()
_ANIMALS = ("ant bat bear bee cat cod crab crow deer dog dove duck eel elk emu fox frog gnu goat "
            "hare hawk ibex jay kiwi koi lark lion lynx mole moth newt owl ox puma ram seal "
            "swan toad wasp wolf worm yak").split()
_SYSTEM_ID_ALPHABET = string.ascii_lowercase + string.digits


def fabrics() -> list[dict]:
    """The fabrics, each with its VLANs, as ``fabrics read`` returns them."""
    return [
        {"class_type": None, "id": 0, "name": "fabric-0", "resource_uri": f"{API}/fabrics/0/",
         "vlans": [_vlan(5001, 0, 0, "untagged"), _vlan(5002, 0, 100, "storage")]},
        {"class_type": None, "id": 1, "name": "fabric-1", "resource_uri": f"{API}/fabrics/1/",
         "vlans": [_vlan(5003, 1, 0, "untagged")]},
    ]


def _vlan(vlan_id: int, fabric_id: int, vid: int, name: str) -> dict:
    return {"vid": vid, "mtu": 9000 if vid else 1500, "dhcp_on": vid == 0,
            "external_dhcp": None, "relay_vlan": None, "fabric": f"fabric-{fabric_id}",
            "fabric_id": fabric_id, "primary_rack": "rack01" if vid == 0 else None,
            "secondary_rack": None, "space": "undefined", "id": vlan_id, "name": name,
            "resource_uri": f"{API}/vlans/{vlan_id}/"}


def subnets() -> list[dict]:
    """The subnets, as ``subnets read`` returns them."""
    vlans = {vlan["id"]: vlan for fabric in fabrics() for vlan in fabric["vlans"]}
    plan = [(1, "10.10.0.0/16", "10.10.0.1", 5001), (2, "10.100.0.0/16", None, 5002),
            (3, "172.16.0.0/16", "172.16.0.1", 5003)]
    return [{"name": cidr, "description": "", "vlan": vlans[vlan_id], "cidr": cidr,
             "rdns_mode": 2, "gateway_ip": gateway, "dns_servers": [], "allow_dns": True,
             "allow_proxy": True, "active_discovery": False, "managed": True,
             "disabled_boot_architectures": [], "space": "undefined", "id": subnet_id,
             "resource_uri": f"{API}/subnets/{subnet_id}/"}
            for subnet_id, cidr, gateway, vlan_id in plan]


def tags() -> list[Tag]:
    return [Tag(name, TAG_COMMENTS.get(name, "")) for name in TAGS]


def machines(count: int, seed: int) -> list[Machine]:
    """``count`` machines, the same ones for the same seed."""
    rng = random.Random(seed)
    nets = {subnet["id"]: subnet for subnet in subnets()}
    taken_ids, taken_names = set(), set()
    made = []
    for index in range(count):
        system_id = _unique(lambda: "".join(rng.choices(_SYSTEM_ID_ALPHABET, k=6)), taken_ids)
        hostname = _unique(lambda: f"{rng.choice(_ADJECTIVES)}-{rng.choice(_ANIMALS)}",
                           taken_names, suffix=lambda name: f"{name}-{rng.randint(2, 999)}")
        made.append(_machine(rng, index, system_id, hostname, nets))
    return made


def _unique(make, taken: set, suffix=None) -> str:
    value = make()
    while value in taken:
        value = suffix(value) if suffix else make()
    taken.add(value)
    return value


def _machine(rng: random.Random, index: int, system_id: str, hostname: str, nets) -> Machine:
    vendor, product, power_type, _ = rng.choices(_VENDORS, weights=[v[3] for v in _VENDORS])[0]
    virtual = vendor == "QEMU"
    arm = not virtual and rng.random() < 0.15
    cores, memory = rng.choice(_SIZES[:4] if virtual else _SIZES[2:])
    pool = rng.choices(POOLS, weights=[40, 35, 15, 10])[0]
    disks, disk_kinds = _disks(rng, index, system_id, virtual, pool.name == "storage")
    tags = disk_kinds - {"virtual"}
    tags |= {"virtual"} if virtual else set()
    tags |= {"arm"} if arm else set()
    tags |= {"gpu"} if pool.name == "gpu" else set()
    fast = not virtual and rng.random() < 0.4
    tags |= {"25g", "sriov"} if fast else set()
    nics, ips = _interfaces(rng, index, nets, fast, pool.name == "storage")
    cpu = "Ampere(R) Altra(R) Q80-30 Processor" if arm else rng.choice(_AMD64_CPUS)
    info = {key: "Unknown" for key in (
        "system_family", "system_version", "system_sku", "mainboard_vendor", "mainboard_product",
        "mainboard_serial", "mainboard_version", "mainboard_firmware_vendor",
        "mainboard_firmware_date", "mainboard_firmware_version", "chassis_vendor",
        "chassis_type", "chassis_serial", "chassis_version")}
    info.update(system_vendor=vendor, system_product=product, cpu_model=cpu,
                system_serial="".join(rng.choices(string.ascii_uppercase + string.digits, k=10)))
    return Machine(
        id=index + 1, system_id=system_id, hostname=hostname,
        architecture="arm64/generic" if arm else "amd64/generic",
        cpu_count=cores, cpu_speed=rng.choice([2000, 2400, 2800, 3000]), memory=memory,
        zone=rng.choice(ZONES), pool=pool, power_type=power_type, hardware_info=info,
        hardware_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        interfaces=nics, disks=disks, ips=ips, tags=tags)


def _disks(rng: random.Random, index: int, system_id: str, virtual: bool,
           storage_node: bool) -> tuple[list[dict], set[str]]:
    if virtual:
        chosen = [_DISKS[-1]] * rng.randint(1, 2)
    else:
        chosen = [rng.choice(_DISKS[:4])]
        chosen += [rng.choice(_DISKS[:5]) for _ in range(rng.randint(0, 1))]
        chosen += [_DISKS[4]] * (rng.randint(2, 4) if storage_node else 0)
    disks = []
    for number, (model, size, kind) in enumerate(chosen):
        device_id = index * 16 + number + 1
        name = f"nvme{number}n1" if kind == "nvme" else "sd" + "abcdefghijkl"[number]
        serial = "".join(rng.choices(string.ascii_uppercase + string.digits, k=12))
        disks.append({
            "id": device_id, "system_id": system_id, "name": name, "model": model,
            "serial": serial, "size": size,
            "block_size": 512 if kind == "hdd" else 4096, "type": "physical",
            "tags": [kind if kind != "virtual" else "ssd"] + (["rotary"] if kind == "hdd" else []),
            "path": f"/dev/disk/by-dname/{name}", "id_path": f"/dev/disk/by-id/wwn-0x{serial}",
            "firmware_version": "GXA7" if kind != "virtual" else "2.5+", "numa_node": 0,
            "uuid": None, "storage_pool": None, "partition_table_type": None,
            "partitions": [], "filesystem": None, "used_size": 0, "available_size": size,
            "used_for": "Unused",
            "resource_uri": f"{API}/nodes/{system_id}/blockdevices/{device_id}/"})
    return disks, {kind for _, _, kind in chosen}


def _interfaces(rng: random.Random, index: int, nets, fast: bool, storage_node: bool):
    on_fabric_1 = index % 10 == 9  # one machine in ten sits on the second fabric
    primary = nets[3] if on_fabric_1 else nets[1]
    plan = [("eth0" if not fast else "enp65s0f0", primary)]
    if storage_node or rng.random() < 0.3:
        plan.append(("eth1" if not fast else "enp65s0f1", nets[2]))
    nics, ips = [], []
    for number, (name, subnet) in enumerate(plan):
        mac = "52:54:00:" + ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
        speed = 25000 if fast else 1000
        prefix = subnet["cidr"].split(".")[:2]
        ips.append(".".join(prefix + [str(1 + index // 250), str(10 + index % 250)]))
        nics.append({
            "index": number, "id": index * 4 + number + 1, "name": name, "type": "physical",
            "mac_address": mac, "enabled": True, "link_connected": True,
            "link_speed": speed, "interface_speed": speed, "effective_mtu": subnet["vlan"]["mtu"],
            "vlan": subnet["vlan"], "params": "", "tags": ["sriov"] if fast else [],
            "sriov_max_vf": 16 if fast else 0, "numa_node": 0, "parents": [], "children": [],
            "discovered": [], "firmware_version": None,
            "vendor": "Mellanox Technologies" if fast else "Intel Corporation",
            "product": ("MT27800 Family [ConnectX-5]" if fast
                        else "I350 Gigabit Network Connection"),
            "links": [{"id": index * 4 + number + 1, "mode": "auto", "subnet": subnet}]})
    return nics, ips


def assign_statuses(machines_made: list[Machine], seed: int) -> list[tuple[Machine, str]]:
    """Each machine's starting status, in the proportions of STATUS_MIX (every status at least
    once from 20 machines up, so even a small sandbox shows them all), the same for a seed."""
    count, total = len(machines_made), sum(weight for _, weight in STATUS_MIX)
    quota = {constant: weight * count // total for constant, weight in STATUS_MIX}
    if count >= 20:
        quota = {constant: max(1, share) for constant, share in quota.items()}
    chosen = [constant for constant, share in quota.items() if constant != "READY"
              for _ in range(share)][:count]
    chosen += ["READY"] * (count - len(chosen))  # Ready fills the rest
    random.Random(f"{seed}:statuses").shuffle(chosen)
    return list(zip(machines_made, chosen))
