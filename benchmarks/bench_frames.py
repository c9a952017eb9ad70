"""How much ``machines_frame`` costs next to decoding the same ``machines read`` answer.

    python benchmarks/bench_frames.py [--machines 10000] [--rounds 5] [--synthetic] [--profile]

Builds N machines shaped like real MAAS 3.7 objects (all 80 fields): the real ones in
``../shared/fixtures/responses/maas-3.7-live/machines.json`` when that file is there (and
``--synthetic`` is not given), with system_id, hostname, status, zone, pool, sizes ... varied
per machine; else a built-in generator of the same shape. Serialises them to one JSON body,
then times, side by side in each round, ``json.loads(body)`` and ``machines_frame(decoded)``
(garbage collector on, as in a notebook) and prints the medians and their ratio. Times are
the CPU time of this process, so that other programs sharing the machine do not stretch one
side more than the other. The goal is a ratio <= 0.10: the frame costs at most a tenth of
the decode.

A measurement, not a test: it never fails on a slow machine. Both sides are bound by memory
rather than by the interpreter (the decoded answer is far larger than the CPU caches), so the
ratio moves with the machine and with whatever else runs on it: compare runs on one machine.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))  # run from a checkout without installing

from maas_notebook.frames import STATUS_BY_CODE, machines_frame  # noqa: E402

REAL_MACHINES = PROJECT.parent / "shared/fixtures/responses/maas-3.7-live/machines.json"
GOAL = 0.10

# A plausible fleet: mostly deployed or ready, a few in every other state.
STATUS_MIX = [6] * 10 + [4] * 5 + [10, 9, 11, 2, 0, 8, 12, 14]
ZONES = ["default", "zone-a", "zone-b", "zone-c"]
POOLS = ["default", "compute", "storage"]
OWNERS = [None, "admin", "alice", "bob", "ci"]
SERIES = ["jammy", "noble", "focal"]
TAGS = ["virtual", "gpu", "nvme", "rack-1", "rack-2", "sriov"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true",
                        help="use the built-in generator even when the real objects are there")
    parser.add_argument("--profile", action="store_true",
                        help="also print the top of a cProfile run of machines_frame")
    args = parser.parse_args(argv)

    templates, source = load_templates(args.synthetic)
    body = json.dumps([vary(templates[i % len(templates)], i) for i in range(args.machines)])
    decode_times, frame_times = [], []
    for _ in range(args.rounds):
        decoded, seconds = timed(json.loads, body)
        decode_times.append(seconds)
        frame, seconds = timed(machines_frame, decoded)
        frame_times.append(seconds)
    decode, build = statistics.median(decode_times), statistics.median(frame_times)
    ratio = build / decode

    print(f"source: {source}")
    print(f"machines: {args.machines}  body: {len(body) / 1e6:.1f} MB  rounds: {args.rounds}  "
          f"frame: {frame.shape[0]} rows x {frame.shape[1]} columns")
    print(f"json.loads(body):        {decode * 1e3:9.1f} ms CPU (median)")
    print(f"machines_frame(decoded): {build * 1e3:9.1f} ms CPU (median)")
    print(f"ratio: {ratio:.3f} (goal <= {GOAL:.2f}: {'met' if ratio <= GOAL else 'NOT met'})")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(machines_frame, decoded)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


def timed(function, argument):
    gc.collect()  # start each measurement from the same heap, not the previous round's garbage
    start = time.process_time()
    result = function(argument)
    return result, time.process_time() - start


def load_templates(synthetic: bool = False) -> tuple[list[str], str]:
    """The machines to copy, as JSON texts (one ``json.loads`` per copy is a cheap deep copy)."""
    if REAL_MACHINES.is_file() and not synthetic:
        machines = json.loads(REAL_MACHINES.read_text())
        return ([json.dumps(m) for m in machines],
                f"real MAAS 3.7 machines ({len(machines)} objects) from {REAL_MACHINES}, varied")
    return [json.dumps(synthetic_machine())], "built-in synthetic MAAS 3.7-shaped machine, varied"


def vary(template: str, i: int) -> dict:
    """Machine number ``i``: the template with its identity, state and sizes changed."""
    machine = json.loads(template)
    system_id, hostname = f"m{i:05x}", f"node-{i:05d}"
    status = STATUS_MIX[i % len(STATUS_MIX)]
    deployed = status in (6, 9)
    machine.update(
        system_id=system_id, hostname=hostname, fqdn=f"{hostname}.maas",
        status=status, status_name=STATUS_BY_CODE[status],
        owner=OWNERS[i % len(OWNERS)] if status in (6, 9, 10, 11) else None,
        osystem="ubuntu" if deployed else "", distro_series=SERIES[i % 3] if deployed else "",
        power_state="on" if deployed else "off",
        cpu_count=[8, 16, 32, 64, 128][i % 5], memory=[16384, 65536, 262144][i % 3],
        storage=round(960197.124096 * (1 + i % 4), 6),
        tag_names=TAGS[i % 4:i % 4 + 1 + i % 3],
        resource_uri=f"/MAAS/api/2.0/machines/{system_id}/",
    )
    machine["zone"]["name"] = ZONES[i % len(ZONES)]
    machine["pool"]["name"] = POOLS[i % len(POOLS)]
    for n, interface in enumerate(machine.get("interface_set") or ()):
        interface["system_id"] = system_id
        interface["mac_address"] = ":".join(
            f"{byte:02x}" for byte in (0x52, 0x54, i >> 16 & 255, i >> 8 & 255, i & 255, n))
    return machine


def synthetic_machine() -> dict:
    """One deployed MAAS 3.7 machine with all 80 fields: one NIC with an address, one disk."""
    vlan = {"vid": 0, "mtu": 1500, "dhcp_on": True, "external_dhcp": None, "relay_vlan": None,
            "primary_rack": "rack01", "fabric_id": 0, "fabric": "fabric-0",
            "secondary_rack": None, "space": "undefined", "id": 5001, "name": "untagged",
            "resource_uri": "/MAAS/api/2.0/vlans/5001/"}
    subnet = {"name": "10.0.0.0/24", "description": "", "vlan": vlan, "cidr": "10.0.0.0/24",
              "rdns_mode": 2, "gateway_ip": "10.0.0.1", "dns_servers": [], "allow_dns": True,
              "allow_proxy": True, "active_discovery": False, "managed": True,
              "disabled_boot_architectures": [], "space": "undefined", "id": 1,
              "resource_uri": "/MAAS/api/2.0/subnets/1/"}
    interface = {"effective_mtu": 1500, "link_speed": 10000, "sriov_max_vf": 0, "enabled": True,
                 "link_connected": True, "product": "Ethernet Controller X710",
                 "interface_speed": 10000, "params": "", "type": "physical", "numa_node": 0,
                 "children": [], "parents": [], "system_id": "abc123", "firmware_version": "9.20",
                 "tags": ["sriov"], "id": 1, "name": "eno1", "mac_address": "52:54:00:00:00:01",
                 "discovered": [], "links": [{"id": 1, "mode": "auto", "ip_address": "10.0.0.10",
                                              "subnet": subnet}],
                 "vendor": "Intel Corporation", "vlan": vlan,
                 "resource_uri": "/MAAS/api/2.0/nodes/abc123/interfaces/1/"}
    disk = {"firmware_version": "GDC5302Q", "used_size": 960193626112, "used_for":
            "GPT partitioned with 1 partition", "serial": "S4EVNX0R000001", "storage_pool": None,
            "path": "/dev/disk/by-dname/sda", "size": 960197124096,
            "partitions": [{"uuid": "0b4c2d0e-2c4f-4d3e-9a51-000000000001", "size": 960192577536,
                            "bootable": False, "tags": [], "device_id": 1,
                            "used_for": "ext4 formatted filesystem mounted at /",
                            "system_id": "abc123", "filesystem": {
                                "fstype": "ext4", "label": "root", "mount_point": "/",
                                "uuid": "5a1e0d4c-9b8f-4c1a-8f00-000000000001",
                                "mount_options": None},
                            "id": 1, "path": "/dev/disk/by-dname/sda-part1", "type": "partition",
                            "resource_uri":
                                "/MAAS/api/2.0/nodes/abc123/blockdevices/1/partition/1"}],
            "type": "physical", "numa_node": 0, "block_size": 512, "uuid": None,
            "partition_table_type": "GPT", "system_id": "abc123", "tags": ["ssd"],
            "filesystem": None, "id": 1, "name": "sda", "model": "SAMSUNG MZ7LH960",
            "id_path": "/dev/disk/by-id/wwn-0x5002538e00000001", "available_size": 0,
            "resource_uri": "/MAAS/api/2.0/nodes/abc123/blockdevices/1/"}
    tests = {f"{kind}_test_status{suffix}": value
             for kind in ("cpu", "memory", "storage", "network", "interface", "other")
             for suffix, value in (("", 2), ("_name", "Passed"))}
    hardware = dict.fromkeys(
        ["system_vendor", "system_product", "system_family", "system_version", "system_sku",
         "system_serial", "cpu_model", "mainboard_vendor", "mainboard_product",
         "mainboard_serial", "mainboard_version", "mainboard_firmware_vendor",
         "mainboard_firmware_date", "mainboard_firmware_version", "chassis_vendor",
         "chassis_type", "chassis_serial", "chassis_version"], "Unknown")
    return {
        **tests, "power_type": "ipmi", "blockdevice_set": [disk], "physicalblockdevice_set": [disk],
        "virtualblockdevice_set": [], "current_commissioning_result_id": 11,
        "current_testing_result_id": 12, "current_installation_result_id": 13,
        "testing_status": 2, "testing_status_name": "Passed", "commissioning_status": 2,
        "commissioning_status_name": "Passed", "enable_hw_sync": False, "bios_boot_method": "uefi",
        "owner": "admin", "volume_groups": [], "cpu_count": 32, "cpu_speed": 2400, "pod": None,
        "error_description": "", "boot_interface": interface, "interface_set": [interface],
        "cache_sets": [], "bcaches": [], "raids": [], "special_filesystems": [],
        "description": "", "fqdn": "abc.maas", "architecture": "amd64/generic",
        "address_ttl": None, "osystem": "ubuntu", "distro_series": "jammy",
        "numanode_set": [{"index": 0, "memory": 65536, "cores": list(range(32)),
                          "hugepages_set": []}],
        "boot_disk": disk, "status": 6, "status_name": "Deployed", "status_message": "Deployed",
        "status_action": "", "zone": {"name": "default", "description": "", "id": 1,
                                      "resource_uri": "/MAAS/api/2.0/zones/default/"},
        "pool": {"name": "default", "description": "Default pool", "id": 0,
                 "resource_uri": "/MAAS/api/2.0/resourcepool/0/"},
        "domain": {"authoritative": True, "ttl": None, "resource_record_count": 0,
                   "is_default": True, "id": 0, "name": "maas",
                   "resource_uri": "/MAAS/api/2.0/domains/0/"},
        "node_type": 0, "node_type_name": "Machine", "min_hwe_kernel": "", "hwe_kernel": None,
        "virtualmachine_id": None, "hardware_uuid": "00000000-0000-4000-8000-000000000001",
        "sync_interval": None, "next_sync": None, "last_sync": None,
        "default_gateways": {"ipv4": {"gateway_ip": "10.0.0.1", "link_id": None},
                             "ipv6": {"gateway_ip": None, "link_id": None}},
        "parent": None, "is_dpu": False, "tag_names": [], "power_state": "on", "swap_size": None,
        "storage": 960197.124096, "ephemeral_deploy": False, "disable_ipv4": False,
        "enable_kernel_crash_dump": False, "locked": False, "memory": 65536,
        "workload_annotations": {}, "hostname": "abc", "system_id": "abc123",
        "hardware_info": hardware, "netboot": False, "owner_data": {},
        "resource_uri": "/MAAS/api/2.0/machines/abc123/",
    }


if __name__ == "__main__":
    main()
