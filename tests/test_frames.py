"""maas_notebook.frames on real MAAS answers of every version: values and units, not shapes."""

from __future__ import annotations

import ast
import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from maas_notebook import frames
from maas_notebook.frames import (
    MACHINE_COLUMNS, MACHINE_STATUSES, STATUS_BY_CODE, boot_resources_frame, disks_frame,
    events_frame, fabrics_frame, frame_for, interfaces_frame, inventory, machines_frame,
    pools_frame, subnets_frame, tags_frame, to_frame, users_frame, vlans_frame, zones_frame,
)

PROJECT = Path(__file__).resolve().parents[1]

# Every answer in the samples that holds machine objects (a list, or one machine).
MACHINE_SAMPLES = [
    "maas-3.7-live/machines.json", "maas-3.7-live/allocate.json", "maas-3.7-live/create.json",
    "maas-2.9-lifecycle/allocate.json", "maas-2.9-lifecycle/deploy.json",
    "gomaasapi/machines_list.json", "gomaasclient/machine.json", "gomaasclient/machines.json",
    "maas-doc-examples/POST_machines_op-allocate.json",
    "maas-doc-examples/POST_machines_system_id_op-deploy.json",
]


@pytest.fixture
def load(shared_fixtures):
    """load("gomaasapi/zone.json") -> the decoded response sample."""
    return lambda name: json.loads((shared_fixtures / "responses" / name).read_text())


def as_list(answer):
    return answer if isinstance(answer, list) else [answer]


# --- statuses ------------------------------------------------------------------------------

def test_status_list_matches_every_maas_version(shared_fixtures):
    table = json.loads((shared_fixtures / "status/maas_node_status_by_version.json").read_text())
    names = {s["status_name"] for group in table["groups"] for s in group["statuses"]}
    assert len(MACHINE_STATUSES) == len(set(MACHINE_STATUSES))
    assert set(MACHINE_STATUSES) == names
    for group in table["groups"]:
        for status in group["statuses"]:
            assert STATUS_BY_CODE[status["value"]] == status["status_name"], group["maas_branches"]


def test_status_is_ordered_along_the_lifecycle(load):
    frame = machines_frame(load("maas-3.7-live/machines.json"))
    status = frame["status"]
    assert status.cat.ordered and list(status.cat.categories) == list(MACHINE_STATUSES)
    order = list(MACHINE_STATUSES)
    assert order.index("New") < order.index("Commissioning") < order.index("Ready") \
        < order.index("Allocated") < order.index("Deploying") < order.index("Deployed")
    assert status["ye6acy"] == "Ready" and status["smssqq"] == "Deploying"
    assert list(frame.index[status < "Ready"]) == ["8nwaq3"]  # only the New one
    # All of them come before Deployed in the lifecycle, though "Ready" > "Deployed" as text.
    assert list(frame.index[status < "Deployed"]) == list(frame.index)
    assert (status >= "Allocated").sum() == 3  # Allocated, Deploying twice
    lifecycle = frame.sort_values("status", kind="stable").index
    assert list(lifecycle) == ["8nwaq3", "ye6acy", "fkep7d", "smssqq", "c74yqk"]


def test_status_from_the_numeric_code_and_unknown_names_kept(load):
    machine = copy.deepcopy(load("gomaasapi/machines_list.json")[0])
    del machine["status_name"]
    newer = {"system_id": "n1", "status_name": "Quantum deploying"}
    frame = machines_frame([machine, newer])
    assert frame.loc["4y3ha3", "status"] == "Deployed"  # status 6
    assert frame.loc["n1", "status"] == "Quantum deploying"
    assert frame["status"].cat.categories[-1] == "Quantum deploying"


# --- machines_frame ------------------------------------------------------------------------

@pytest.mark.parametrize("sample", MACHINE_SAMPLES)
def test_machines_frame_values_and_units_on_every_version(load, sample):
    machines = as_list(load(sample))
    frame = machines_frame(machines)
    assert tuple(frame.columns) == MACHINE_COLUMNS and frame.index.name == "system_id"
    assert list(frame.index) == [m["system_id"] for m in machines]
    for machine in machines:
        row = frame.loc[machine["system_id"]]
        assert row["hostname"] == machine["hostname"]
        assert row["cores"] == machine["cpu_count"]
        assert row["ram_gib"] == pytest.approx(machine["memory"] / 1024)  # MiB -> GiB
        if "storage" in machine:
            assert row["storage_gb"] == pytest.approx(machine["storage"] / 1000)  # MB -> GB
        if "physicalblockdevice_set" in machine:
            assert row["disks"] == len(machine["physicalblockdevice_set"])
        if "status_name" in machine:
            assert row["status"] == machine["status_name"]
        assert row["tags"] == machine["tag_names"]
        assert row["zone"] == machine["zone"]["name"]
        assert row["domain"] == machine["domain"]["name"]


def test_machines_frame_on_maas_37(load):
    frame = machines_frame(load("maas-3.7-live/machines.json"))
    ready3 = frame.loc["smssqq"]
    assert ready3["fqdn"] == "ready-3.maas" and ready3["status_message"] == "Deploying"
    assert (ready3["owner"], ready3["osystem"], ready3["distro_series"]) == (
        "admin", "ubuntu", "jammy")
    assert (ready3["zone"], ready3["pool"], ready3["domain"]) == ("default", "default", "maas")
    assert ready3["storage_gb"] == pytest.approx(0.536870912)  # one 536870912-byte disk
    assert ready3["disks"] == 1
    assert (ready3["fabric"], ready3["vlan"]) == ("fabric-2", "untagged")
    assert frame.loc["c74yqk", "fabric"] == "fabric-3"
    assert ready3["ip_addresses"] == []  # 3.7 sends no ip_addresses; its one link has no IP yet
    new = frame.loc["8nwaq3"]
    assert new["disks"] == 0 and new["storage_gb"] == 0
    assert pd.isna(new["fabric"])  # its interface has no VLAN
    assert pd.isna(new["owner"]) and pd.isna(new["osystem"])  # MAAS sends "" and null: NA
    assert frame.loc["fkep7d", "power_state"] == "off"
    assert frame.loc["ye6acy", "power_state"] == "on"


def test_machines_frame_on_maas_2x(load):
    frame = machines_frame(load("gomaasapi/machines_list.json"))
    deployed = frame.loc["4y3ha3"]
    assert deployed["status"] == "Deployed" and deployed["owner"] == "thumper"
    assert deployed["tags"] == ["virtual", "magic"]
    assert deployed["ip_addresses"] == ["192.168.100.4"]
    assert deployed["disks"] == 2  # sda and sdb; md0 is virtual
    assert deployed["storage_gb"] == pytest.approx(8.589934592)
    assert deployed["ram_gib"] == 1.0 and deployed["cores"] == 1
    assert (deployed["fabric"], deployed["vlan"], deployed["power_type"]) == (
        "fabric-0", "untagged", "virsh")
    assert list(frame["status"]) == ["Deployed", "Ready", "Ready"]
    assert list(frame.index[frame["status"] < "Deployed"]) == ["4y3ha4", "4y3ha6"]  # Ready

    lifecycle = machines_frame(load("maas-2.9-lifecycle/deploy.json")).loc["tdgqkw"]
    assert lifecycle["ram_gib"] == 12.0 and lifecycle["cores"] == 8
    assert lifecycle["storage_gb"] == pytest.approx(2000.409772032)  # two 1 TB disks
    assert (lifecycle["status"], lifecycle["distro_series"], lifecycle["fabric"]) == (
        "Deploying", "focal", "fabric-1")

    rescue = machines_frame(load("gomaasclient/machine.json")).loc["g8xyqs"]
    assert (rescue["status"], rescue["arch"], rescue["zone"], rescue["power_state"]) == (
        "Failed to exit rescue mode", "i386/generic", "zone-north", "error")


def test_fields_missing_give_na(load):
    # The nodes summary of 2.x has no pool, status, owner, storage, block devices or boot
    # interface: NA for those, the first interface for fabric and VLAN.
    row = machines_frame(load("gomaasclient/machines.json")).loc["6gsym8"]
    assert pd.isna(row["pool"]) and pd.isna(row["status"]) and pd.isna(row["owner"])
    assert pd.isna(row["storage_gb"]) and pd.isna(row["disks"])
    assert (row["fabric"], row["ram_gib"]) == ("fabric-0", 8.0)
    assert row["ip_addresses"] == ["10.55.32.135", "192.168.122.1"]

    machine = copy.deepcopy(load("gomaasapi/machines_list.json")[1])
    del machine["pool"], machine["boot_interface"], machine["memory"]
    row = machines_frame([machine]).iloc[0]
    assert pd.isna(row["pool"]) and pd.isna(row["ram_gib"]) and row["fabric"] == "fabric-0"

    bare = machines_frame([{}, {"system_id": "x", "memory": "lots", "zone": "z1"}])
    assert bare.loc["x"].drop(["zone"]).isna().all() and bare.loc["x", "zone"] == "z1"


def test_machines_frame_types(load):
    frame = machines_frame(load("gomaasapi/machines_list.json"))
    types = {column: str(dtype) for column, dtype in frame.dtypes.items()}
    assert types["cores"] == types["disks"] == "Int64"
    assert types["ram_gib"] == types["storage_gb"] == "Float64"
    assert types["hostname"] == types["fqdn"] == types["status_message"] == "string"
    for column in ("status", "power_state", "power_type", "owner", "osystem", "distro_series",
                   "zone", "pool", "arch", "fabric", "vlan", "domain"):
        assert types[column] == "category", column
    assert types["tags"] == types["ip_addresses"] == "object"


@pytest.mark.parametrize("empty", [[], None, ()])
def test_machines_frame_empty_keeps_columns_and_types(load, empty):
    frame = machines_frame(empty)
    full = machines_frame(load("gomaasapi/machines_list.json"))
    assert frame.empty and tuple(frame.columns) == MACHINE_COLUMNS
    assert [str(t) for t in frame.dtypes] == [str(t) for t in full.dtypes]
    assert frame["status"].cat.ordered and frame.index.name == "system_id"


def test_machines_frame_single_machine_and_rebuilt_ips(load):
    allocated = load("maas-doc-examples/POST_machines_op-allocate.json")
    row = machines_frame(allocated).loc["thr3am"]
    assert row["ip_addresses"] == ["2001:db8:42:0:6556:13fa:7452:70da",
                                   "2001:db8:42:0:cf29:e368:ba5b:9977"]
    assert (row["domain"], row["disks"]) == ("sample", 3)
    assert row["storage_gb"] == pytest.approx(9.204621312)

    machine = copy.deepcopy(load("maas-3.7-live/machines.json")[3])  # no ip_addresses field
    machine["interface_set"][0]["links"][0]["ip_address"] = "10.1.2.3"
    assert machines_frame(machine).iloc[0]["ip_addresses"] == ["10.1.2.3"]
    machine["interface_set"][0]["links"] = []
    machine["interface_set"][0]["discovered"] = [{"ip_address": "10.9.9.9"}]
    assert machines_frame(machine).iloc[0]["ip_addresses"] == ["10.9.9.9"]  # DHCP lease


def test_list_columns_hold_lists():
    frame = machines_frame([{"system_id": n, "tag_names": ["a", "b"], "ip_addresses": []}
                            for n in ("x", "y")])
    assert list(frame["tags"]) == [["a", "b"]] * 2 and list(frame["ip_addresses"]) == [[], []]


def test_machines_frame_refuses_text():
    with pytest.raises(TypeError, match="list of MAAS objects"):
        machines_frame('[{"system_id": "x"}]')


# --- interfaces and disks ------------------------------------------------------------------

def test_interfaces_frame(load):
    frame = interfaces_frame(load("maas-doc-examples/POST_machines_op-allocate.json"))
    assert len(frame) == 6 and frame.index.name == "id"
    vlan_nic = frame.loc[41]
    assert (vlan_nic["system_id"], vlan_nic["hostname"], vlan_nic["name"], vlan_nic["type"]) == (
        "thr3am", "calm-cod", "eth-3ookc5.42", "vlan")
    assert vlan_nic["mac_address"] == "bc:d3:d5:28:88:dc"
    assert (vlan_nic["fabric"], vlan_nic["vlan"], vlan_nic["vid"]) == ("fabric-1", "42", 42)
    assert vlan_nic["ip_addresses"] == ["2001:db8:42:0:6556:13fa:7452:70da"]
    assert vlan_nic["subnets"] == ["2001:db8:42::/64"]
    assert vlan_nic["enabled"] and vlan_nic["link_speed"] == 1000

    live = interfaces_frame(load("maas-3.7-live/machines.json"))
    assert len(live) == 3  # node-1, ready-3 and ready-4 have one NIC each
    nic = live[live["system_id"] == "smssqq"].iloc[0]
    assert (nic["mac_address"], nic["link_speed"], nic["interface_speed"]) == (
        "67:a6:5d:2f:4c:04", 10, 20000)
    assert nic["subnets"] == ["254.200.233.0/24"] and nic["ip_addresses"] == []

    old = interfaces_frame(load("gomaasapi/machines_list.json"))
    assert len(old) == 4 and old.loc[35, "ip_addresses"] == ["192.168.100.4"]
    assert old.loc[35, "mac_address"] == "52:54:00:55:b6:80"
    bonded = interfaces_frame(load("gomaasclient/machine.json"))
    assert list(bonded["type"]) == ["physical"] * 3 + ["bond"]
    assert bonded["link_speed"].isna().all()  # not sent by that version


def test_disks_frame(load):
    frame = disks_frame(load("gomaasapi/machines_list.json"))
    assert len(frame) == 5 and frame.index.name == "id"
    sda = frame.loc[34]
    assert (sda["system_id"], sda["name"], sda["model"], sda["serial"]) == (
        "4y3ha3", "sda", "QEMU HARDDISK", "QM00001")
    assert sda["size_gb"] == pytest.approx(8.589934592)  # 8589934592 bytes
    assert sda["tags"] == ["rotary"]
    assert sda["id_path"] == "/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001"
    assert frame.loc[23, "type"] == "virtual"  # md0
    big = disks_frame(load("maas-2.9-lifecycle/allocate.json"))
    assert list(big["size_gb"]) == pytest.approx([1000.204886016] * 2)
    assert len(disks_frame(load("maas-3.7-live/machines.json"))) == 4
    assert disks_frame([]).empty and "size_gb" in disks_frame([]).columns


# --- events --------------------------------------------------------------------------------

def test_events_frame(load):
    answer = load("maas-doc-examples/GET_events_op-query.json")
    frame = events_frame(answer)
    assert frame.equals(events_frame(answer["events"]))  # the dict or its list
    assert len(frame) == 5 and frame.index[0] == 1667
    assert pd.api.types.is_datetime64_any_dtype(frame["created"])
    assert frame.loc[1667, "created"] == pd.Timestamp("2018-12-07 20:11:08")
    assert frame.loc[1663, "created"] == pd.Timestamp("2018-12-07 16:36:15")
    assert (frame.loc[1667, "level"], frame.loc[1667, "system_id"]) == ("WARNING", "7xtf67")
    assert set(frame["level"].cat.categories) == {"INFO", "WARNING"}


def test_event_times_parse_robustly():
    times = events_frame([{"id": 1, "created": "Thu, 20 Jun. 2019 08:51:38"},
                          {"id": 2, "created": "Tue, 02 Jul 2024 10:00:00"},
                          {"id": 3, "created": "2024-07-02T10:00:00.123"},
                          {"id": 4, "created": "yesterday"}, {"id": 5}])["created"]
    assert times[1] == pd.Timestamp("2019-06-20 08:51:38")
    assert times[2] == pd.Timestamp("2024-07-02 10:00:00")
    assert times[3] == pd.Timestamp("2024-07-02 10:00:00.123")
    assert pd.isna(times[4]) and pd.isna(times[5])


# --- the other lists -----------------------------------------------------------------------

def test_zones_pools_tags_users(load):
    zones = zones_frame(load("gomaasapi/zone.json"))
    assert list(zones.index) == ["default", "special"]
    assert zones.loc["special", "description"] == "special description"
    pools = pools_frame(load("gomaasclient/resource_pools.json"))
    assert (pools.loc["default", "id"], pools.loc["default", "description"]) == (0, "Default pool")
    tags = tags_frame(load("gomaasapi/tags.json"))
    assert tags.loc["virtual", "kernel_opts"] == "nvme_core"
    assert tags.loc["virtual", "definition"] == "tag for machines that are virtual"
    users = users_frame(load("maas-doc-examples/GET_users.json"))
    assert users.loc["ZZaqFHnASE", "email"] == "th851JAwIa@example.com"
    assert not users.loc["ZZaqFHnASE", "admin"] and users.loc["ZZaqFHnASE", "local"]
    assert users_frame(load("maas-doc-examples/GET_users_op-whoami.json")).loc["admin", "admin"]


def test_subnets_vlans_fabrics(load):
    subnets = subnets_frame(load("maas-doc-examples/GET_subnets.json"))
    assert subnets.index.name == "cidr" and len(subnets) == 7
    first = subnets.loc["172.16.1.0/24"]
    assert (first["fabric"], first["vlan"], first["vid"], first["space"]) == (
        "fabric-0", "untagged", 0, "management")
    assert first["gateway_ip"] == "172.16.1.1" and first["managed"]
    assert subnets.loc["2001:db8:42::/64", "vid"] == 42
    vlans = vlans_frame(load("gomaasclient/vlans.json"))
    assert (vlans.loc[5014, "fabric"], vlans.loc[5014, "vid"], vlans.loc[5014, "mtu"]) == (
        "fabric-10", 0, 1500)
    assert vlans.loc[5015, "vid"] == 1
    fabrics = fabrics_frame(load("maas-doc-examples/GET_fabrics.json"))
    assert len(fabrics) == 14 and fabrics.loc["fabric-0", "vlans"] == 2
    assert fabrics.loc["fabric-0", "vids"] == [0, 10]


def test_boot_resources(load):
    images = boot_resources_frame(load("gomaasclient/boot_resources.json"))
    assert (images.loc[95, "name"], images.loc[95, "arch"], images.loc[95, "type"]) == (
        "ubuntu/bionic", "amd64/ga-18.04", "Synced")
    assert "ga-18.04" in images.loc[95, "subarches"]
    assert images.loc[13, "title"] == "Alma 9 Custom" and pd.isna(images.loc[95, "last_deployed"])
    doc = boot_resources_frame(load("maas-doc-examples/GET_boot-resources.json"))
    assert doc.loc[3, "subarches"] == [] and len(doc) == 6


@pytest.mark.parametrize("build", [zones_frame, pools_frame, tags_frame, subnets_frame,
                                   vlans_frame, fabrics_frame, boot_resources_frame,
                                   users_frame, events_frame, interfaces_frame, disks_frame])
def test_every_frame_takes_empty_and_incomplete_lists(build):
    assert build([]).empty
    rows = 0 if build in (interfaces_frame, disks_frame) else 1  # those take machines
    assert len(build([{"unexpected": 1}])) == rows


# --- to_frame ------------------------------------------------------------------------------

def test_to_frame_flattens_to_a_bounded_depth(load):
    machines = load("maas-3.7-live/machines.json")
    frame = to_frame(machines)
    assert frame.index.name == "system_id" and len(frame) == 5
    assert frame.loc["smssqq", "zone.name"] == "default"
    assert frame.loc["smssqq", "boot_interface.vlan.fabric"] == "fabric-2"  # depth 2
    assert "boot_interface.vlan.fabric" in frame and "boot_interface.vlan" not in frame
    assert pd.isna(frame.loc["8nwaq3", "boot_interface.vlan.fabric"])  # its vlan is null
    assert isinstance(frame.loc["smssqq", "boot_interface.links"], list)  # lists stay lists
    shallow = to_frame(machines, max_depth=1)
    assert shallow.loc["smssqq", "boot_interface.vlan"]["fabric"] == "fabric-2"  # kept as object
    assert isinstance(to_frame(machines, max_depth=0).loc["smssqq", "zone"], dict)


def test_to_frame_order_index_and_odd_inputs():
    frame = to_frame([{"id": 7, "a": 1}, {"b": {"c": 2}, "a": 3, "id": 8}])
    assert list(frame.columns) == ["a", "b.c"] and list(frame.index) == [7, 8]
    nulls = to_frame([{"a": {"b": {"c": 1}}}, {"a": None}])  # null here, an object there
    assert list(nulls.columns) == ["a.b.c"] and pd.isna(nulls.loc[1, "a.b.c"])
    assert list(to_frame([{"name": "x"}]).index) == [0]  # no system_id or id: a RangeIndex
    names = to_frame(["virtual", "gpu"])
    assert list(names.columns) == ["value"] and list(names["value"]) == ["virtual", "gpu"]
    assert to_frame([]).empty and to_frame(None).empty
    assert list(to_frame([{"tags": ["a", "b"]}, {"tags": ["c", "d"]}])["tags"]) == [
        ["a", "b"], ["c", "d"]]


# --- frame_for and inventory ---------------------------------------------------------------

def test_frame_for_dispatch(load):
    machines = load("gomaasapi/machines_list.json")
    assert frame_for(machines).equals(machines_frame(machines))
    assert frame_for(load("maas-3.7-live/allocate.json")).index.tolist() == ["fkep7d"]
    assert tuple(frame_for([], hint="machines").columns) == MACHINE_COLUMNS
    events = load("maas-doc-examples/GET_events_op-query.json")
    assert frame_for(events).equals(events_frame(events))
    zones = load("gomaasclient/resource_pools.json")  # by resource_uri, no hint
    assert frame_for(zones).equals(pools_frame(zones))
    images = load("maas-doc-examples/GET_boot-resources.json")
    assert frame_for(images).equals(boot_resources_frame(images))
    assert frame_for(images, hint="boot-resources").equals(boot_resources_frame(images))
    assert frame_for(load("gomaasapi/tags.json"), hint="tags").index.name == "name"
    assert frame_for(load("maas-doc-examples/GET_users.json")).index.name == "username"
    spaces = load("maas-doc-examples/GET_spaces.json")
    assert frame_for(spaces).equals(to_frame(spaces))
    assert list(frame_for(["a"]).columns) == ["value"]


def test_inventory_sends_the_filters_to_the_server(load):
    answer = load("gomaasapi/machines_list.json")

    class Machines:
        def __init__(self):
            self.calls = []

        def read(self, **filters):
            self.calls.append(filters)
            return answer

    class Client:
        machines = Machines()

    frame = inventory(Client, status="ready", pool="default", tags=["virtual"])
    assert Client.machines.calls == [{"status": "ready", "pool": "default", "tags": ["virtual"]}]
    assert frame.equals(machines_frame(answer))


# --- the module's promises -----------------------------------------------------------------

def test_layering_and_no_global_pandas_settings():
    source = Path(frames.__file__).read_text()
    internal = {node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.level}
    assert internal <= {"errors", "_frame_columns"}
    helper = ast.parse(Path(frames.__file__).with_name("_frame_columns.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(helper)
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in getattr(node, "names", [])} | {
        node.module for node in ast.walk(helper) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"pandas", "numpy"}
    assert "set_option" not in source and "pd.options" not in source


@pytest.mark.parametrize("extra", [[], ["--synthetic"]])
def test_benchmark_runs_and_reports(extra):
    result = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks/bench_frames.py"), "--machines", "50",
         "--rounds", "1", *extra], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^source: .*(3\.7).*", out, re.M)
    if extra:
        assert "synthetic" in out
    assert re.search(r"^machines: 50 .*frame: 50 rows x 21 columns$", out, re.M)
    assert re.search(r"^json\.loads\(body\): +\d+\.\d ms CPU \(median\)$", out, re.M)
    assert re.search(r"^machines_frame\(decoded\): +\d+\.\d ms CPU \(median\)$", out, re.M)
    assert re.search(r"^ratio: \d+\.\d{3} \(goal <= 0\.10: (met|NOT met)\)$", out, re.M)
