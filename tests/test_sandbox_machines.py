"""Machines: the inventory's shape, ``machines read`` filters, ``allocate`` constraints, and the
single-machine actions that do not start an operation."""

import json
from collections import Counter

import pytest
from sandbox_helpers import Api, admin, first, ops, sandbox  # noqa: F401

from maas_notebook.sandbox import Sandbox


@pytest.fixture
def machines(admin):
    return admin.ok("GET", "machines/")


# -- the inventory ------------------------------------------------------------------------

def test_machines_have_every_field_of_a_real_maas_3_7_machine(machines, shared_fixtures):
    real = json.loads((shared_fixtures / "responses" / "maas-3.7-live" / "machines.json")
                      .read_text())
    real_fields = set(real[0])
    for machine in machines:
        assert real_fields <= set(machine), real_fields - set(machine)
    sample = machines[0]
    full = next(m for m in real if m["blockdevice_set"] and m["interface_set"])
    assert set(full["interface_set"][0]) <= set(sample["interface_set"][0])
    assert set(full["interface_set"][0]["vlan"]) <= set(sample["interface_set"][0]["vlan"])
    assert set(full["blockdevice_set"][0]) <= set(sample["blockdevice_set"][0])
    assert set(full["zone"]) == set(sample["zone"]) and set(full["pool"]) == set(sample["pool"])
    assert set(full["hardware_info"]) == set(sample["hardware_info"])


def test_machine_fields_hold_what_maas_puts_there(machines):
    for machine in machines:
        assert len(machine["system_id"]) == 6 and machine["system_id"].isalnum()
        assert machine["fqdn"] == machine["hostname"] + ".maas"
        assert machine["architecture"] in ("amd64/generic", "arm64/generic")
        disks = machine["physicalblockdevice_set"]
        assert machine["storage"] == pytest.approx(sum(d["size"] for d in disks) / 1e6)
        assert machine["memory"] >= 4096 and machine["cpu_count"] >= 2
        assert machine["boot_interface"] == machine["interface_set"][0]
        assert machine["boot_disk"] == disks[0]
        vlan = machine["interface_set"][0]["vlan"]
        assert vlan["fabric"].startswith("fabric-") and "vid" in vlan
        assert machine["resource_uri"] == f"/MAAS/api/2.0/machines/{machine['system_id']}/"
        assert (machine["ip_addresses"] != []) == (machine["status_name"] == "Deployed")
        assert (machine["owner"] is not None) == (machine["status_name"] in (
            "Allocated", "Deployed", "Failed deployment"))


def test_the_inventory_is_varied_and_mostly_ready(machines):
    statuses = Counter(m["status_name"] for m in machines)
    assert statuses.most_common(1)[0][0] == "Ready"
    assert {"New", "Broken", "Deployed", "Failed deployment", "Allocated"} <= set(statuses)
    assert len({m["zone"]["name"] for m in machines}) >= 3
    assert len({m["pool"]["name"] for m in machines}) >= 3
    assert len({m["cpu_count"] for m in machines}) >= 4
    assert len({t for m in machines for t in m["tag_names"]}) >= 5
    assert all(m["error_description"] for m in machines if m["status_name"] == "Broken")


def test_the_same_seed_gives_the_same_machines():
    def inventory(seed):
        with Sandbox(machines=15, seed=seed) as running:
            found = Api(running.url, running.api_key).ok("GET", "machines/")
        return [(m["system_id"], m["hostname"], m["status"], m["memory"]) for m in found]
    assert inventory(3) == inventory(3)
    assert inventory(3) != inventory(4)


# -- machines read filters ----------------------------------------------------------------

def ids(found):
    return {m["system_id"] for m in found}


@pytest.mark.parametrize("name, field", [
    ("hostname", lambda m: m["hostname"]), ("zone", lambda m: m["zone"]["name"]),
    ("pool", lambda m: m["pool"]["name"]), ("owner", lambda m: m["owner"]),
    ("power_state", lambda m: m["power_state"]), ("id", lambda m: m["system_id"]),
    ("system_id", lambda m: m["system_id"]),
])
def test_a_filter_keeps_the_machines_with_that_value(admin, machines, name, field):
    value = field(next(m for m in machines if field(m)))
    found = admin.ok("GET", "machines/", **{name: value})
    assert found and ids(found) == {m["system_id"] for m in machines if field(m) == value}


def test_repeated_keys_are_ored_and_different_filters_anded(admin, machines):
    zones = ["az1", "az2"]
    either = admin.ok("GET", "machines/", zone=zones)
    assert ids(either) == {m["system_id"] for m in machines if m["zone"]["name"] in zones}
    both = admin.ok("GET", "machines/", zone=zones, status="ready")
    assert ids(both) == {m["system_id"] for m in machines
                         if m["zone"]["name"] in zones and m["status_name"] == "Ready"}
    assert ids(both) < ids(either)


def test_status_accepts_maas_constants_and_names(admin, machines):
    expected = {m["system_id"] for m in machines if m["status_name"] == "Failed deployment"}
    for spelling in ("failed_deployment", "Failed deployment", "FAILED_DEPLOYMENT", "11"):
        assert ids(admin.ok("GET", "machines/", status=spelling)) == expected
    two = admin.ok("GET", "machines/", status=["new", "broken"])
    assert {m["status_name"] for m in two} == {"New", "Broken"}
    response = admin.get("machines/", status="sleeping")
    assert response.status_code == 400 and "status" in response.json()


def test_tags_must_all_match(admin, machines):
    both = admin.ok("GET", "machines/", tags=["sriov", "25g"])
    assert ids(both) == {m["system_id"] for m in machines
                         if {"sriov", "25g"} <= set(m["tag_names"])}
    assert admin.ok("GET", "machines/", tags=["virtual", "arm"]) == []


def test_numeric_filters_are_minimums(admin, machines):
    found = admin.ok("GET", "machines/", cpu_count=32, mem=131072)
    assert ids(found) == {m["system_id"] for m in machines
                          if m["cpu_count"] >= 32 and m["memory"] >= 131072}
    arm = admin.ok("GET", "machines/", arch="arm64")
    assert arm and all(m["architecture"] == "arm64/generic" for m in arm)
    assert ids(admin.ok("GET", "machines/", arch="arm64/generic")) == ids(arm)


def test_mac_address_and_fabric_filters(admin, machines):
    mac = machines[3]["interface_set"][0]["mac_address"]
    assert ids(admin.ok("GET", "machines/", mac_address=mac.upper())) == {
        machines[3]["system_id"]}
    on_fabric_1 = admin.ok("GET", "machines/", fabrics="fabric-1")
    assert on_fabric_1 and all(
        any(n["vlan"]["fabric"] == "fabric-1" for n in m["interface_set"]) for m in on_fabric_1)


def test_users_who_are_not_admins_see_unowned_machines_and_their_own(ops, machines):
    seen = ops.ok("GET", "machines/")
    assert ids(seen) == {m["system_id"] for m in machines if m["owner"] in (None, "ops")}
    hidden = first(machines, owner="admin")
    response = ops.get(f"machines/{hidden['system_id']}/")
    assert response.status_code == 404


# -- allocate -------------------------------------------------------------------------------

def test_allocate_picks_the_smallest_matching_ready_machine(admin, machines):
    got = admin.ok("POST", "machines/", "allocate", cpu_count=16, zone="az2")
    candidates = [m for m in machines if m["status_name"] == "Ready" and m["owner"] is None
                  and m["cpu_count"] >= 16 and m["zone"]["name"] == "az2"]
    smallest = min(candidates, key=lambda m: (m["cpu_count"], m["memory"]))
    assert (got["cpu_count"], got["memory"]) == (smallest["cpu_count"], smallest["memory"])
    assert (got["status_name"], got["owner"]) == ("Allocated", "admin")


@pytest.mark.parametrize("constraints, check", [
    ({"tags": ["nvme"], "not_tags": "virtual"},
     lambda m: "nvme" in m["tag_names"] and "virtual" not in m["tag_names"]),
    ({"arch": "arm64"}, lambda m: m["architecture"] == "arm64/generic"),
    ({"pool": "storage", "not_in_zone": "default"},
     lambda m: m["pool"]["name"] == "storage" and m["zone"]["name"] != "default"),
    ({"mem": 200000}, lambda m: m["memory"] >= 200000),
])
def test_allocate_honours_constraints(admin, constraints, check):
    assert check(admin.ok("POST", "machines/", "allocate", **constraints))


def test_allocate_by_name_or_system_id(admin, machines):
    ready = [m for m in machines if m["status_name"] == "Ready"]
    assert admin.ok("POST", "machines/", "allocate", name=ready[0]["fqdn"])["system_id"] == \
        ready[0]["system_id"]
    assert admin.ok("POST", "machines/", "allocate", system_id=ready[1]["system_id"])[
        "hostname"] == ready[1]["hostname"]


def test_dry_run_shows_the_machine_without_allocating_it(admin):
    preview = admin.ok("POST", "machines/", "allocate", pool="gpu", dry_run="true")
    assert preview["status_name"] == "Ready" and preview["owner"] is None
    assert admin.ok("GET", f"machines/{preview['system_id']}/")["status_name"] == "Ready"
    assert admin.ok("POST", "machines/", "allocate", pool="gpu")["system_id"] == \
        preview["system_id"]


def test_allocate_answers_409_when_nothing_matches(admin):
    response = admin.post("machines/", "allocate", cpu_count=1000, zone="az1")
    assert response.status_code == 409
    assert response.text.startswith("No available machine matches constraints: "
                                    "[('cpu_count', ['1000']), ('zone', ['az1'])]")


def test_allocate_answers_400_for_unknown_names(admin):
    for constraint, value in [("zone", "atlantis"), ("pool", "nosuch"), ("tags", "shiny"),
                              ("arch", "z80")]:
        response = admin.post("machines/", "allocate", **{constraint: value})
        assert response.status_code == 400, constraint
        assert constraint in response.json()


def test_allocating_until_none_is_left_ends_in_409(admin, machines):
    ready = sum(1 for m in machines if m["status_name"] == "Ready")
    got = [admin.post("machines/", "allocate", zone="az3").status_code for _ in range(ready + 1)]
    assert got[-1] == 409 and 200 in got


# -- single machine -------------------------------------------------------------------------

def test_reading_an_unknown_machine_is_a_404_like_maas(admin):
    response = admin.get("machines/zzzzzz/")
    assert (response.status_code, response.text) == (404, "No Machine matches the given query.")


def test_update_changes_hostname_description_zone_and_pool(admin, machines):
    path = f"machines/{machines[0]['system_id']}/"
    updated = admin.ok("PUT", path, hostname="renamed-1", description="rack 4, u12",
                       zone="az3", pool="gpu")
    assert (updated["hostname"], updated["fqdn"], updated["description"]) == (
        "renamed-1", "renamed-1.maas", "rack 4, u12")
    assert (updated["zone"]["name"], updated["pool"]["name"]) == ("az3", "gpu")
    assert admin.ok("GET", path)["hostname"] == "renamed-1"


def test_update_validates_and_needs_an_admin(admin, ops, machines):
    path = f"machines/{machines[0]['system_id']}/"
    assert "hostname" in admin.put(path, hostname="Bad_Name!").json()
    assert "hostname" in admin.put(path, hostname=machines[1]["hostname"]).json()
    assert "zone" in admin.put(path, zone="atlantis").json()
    unowned = first(machines, owner=None)
    assert ops.put(f"machines/{unowned['system_id']}/", description="x").status_code == 403


def test_owner_data_is_set_and_removed_key_by_key(admin, machines):
    path = f"machines/{first(machines, owner='admin')['system_id']}/"
    admin.ok("POST", path, "set_owner_data", owner="team-a", purpose="ci")
    data = admin.ok("POST", path, "set_owner_data", purpose="", rack="r4")["owner_data"]
    assert data == {"owner": "team-a", "rack": "r4"}


def test_power_on_off_and_query(admin, machines):
    path = f"machines/{first(machines, status_name='Allocated', owner='admin')['system_id']}/"
    assert admin.ok("POST", path, "power_on")["power_state"] == "on"
    assert admin.ok("GET", path, "query_power_state") == {"state": "on"}
    assert admin.ok("POST", path, "power_off", stop_mode="soft")["power_state"] == "off"
    assert admin.ok("GET", path, "query_power_state") == {"state": "off"}


def test_others_machines_cannot_be_acted_on(ops, admin, machines):
    mine = first(machines, owner="ops")
    theirs = first(machines, status_name="Deployed", owner="admin")
    assert ops.ok("POST", f"machines/{mine['system_id']}/", "power_off")["power_state"] == "off"
    assert ops.post(f"machines/{theirs['system_id']}/", "power_off").status_code == 404
    admin_view = Api(admin.base[:-len("api/2.0/")], admin.api_key)
    assert admin_view.ok("POST", f"machines/{mine['system_id']}/", "power_on")


def test_declared_but_unsimulated_actions_answer_501(admin, machines):
    response = admin.get(f"machines/{machines[0]['system_id']}/", "details")
    assert response.status_code == 501
    assert response.text == "The sandbox does not simulate details on MachineHandler."


def test_unknown_ops_and_methods_are_refused_like_maas(admin, machines):
    response = admin.post("machines/", "no_such_op")
    assert (response.status_code, response.text) == (
        400, "Unrecognised signature: method=POST op=no_such_op")
    assert admin.delete("machines/").status_code == 405
    assert admin.get("no/such/path/").status_code == 404
