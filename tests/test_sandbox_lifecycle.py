"""The machine lifecycle in simulated time: deploy, failure, release, erase, abort, 409s; and
the status table against MAAS's own (``../shared/fixtures/status``)."""

import base64
import json
import time

import pytest
from sandbox_helpers import Api, admin, first, ops, sandbox, wait_for  # noqa: F401

from maas_notebook.sandbox import Sandbox, statuses


@pytest.fixture
def ready(admin):
    """A Ready machine's system_id."""
    return first(admin.ok("GET", "machines/", status="ready"), owner=None)["system_id"]


def status_of(api, system_id):
    return api.ok("GET", f"machines/{system_id}/")["status_name"]


def events_of(api, system_id, level="DEBUG"):
    return api.ok("GET", "events/", "query", id=system_id, level=level, limit=1000)["events"]


def test_deploying_a_ready_machine_allocates_it_then_deploys(admin, ready):
    user_data = base64.b64encode(b"#cloud-config\n").decode()
    started = admin.ok("POST", f"machines/{ready}/", "deploy", distro_series="noble",
                       user_data=user_data, comment="for the demo")
    assert (started["status_name"], started["owner"]) == ("Deploying", "admin")
    assert (started["osystem"], started["distro_series"], started["hwe_kernel"]) == (
        "ubuntu", "noble", "ga-24.04")
    assert started["power_state"] == "on" and started["ip_addresses"] == []
    wait_for(lambda: status_of(admin, ready) == "Deployed", timeout=5)
    deployed = admin.ok("GET", f"machines/{ready}/")
    assert deployed["ip_addresses"] and deployed["status_message"] == "Deployed"
    assert deployed["interface_set"][0]["links"][0]["ip_address"] == deployed["ip_addresses"][0]
    changes = [e["description"] for e in reversed(events_of(admin, ready))
               if e["type"] == "Node changed status"]
    assert changes[-3:] == ["From 'Ready' to 'Allocated'", "From 'Allocated' to 'Deploying'",
                            "From 'Deploying' to 'Deployed'"]
    audit = events_of(admin, ready, level="AUDIT")
    assert any(e["type"] == "Deploy" and e["description"] == "for the demo" for e in audit)


def test_deploy_progress_shows_in_status_message_and_events(admin, ready):
    admin.ok("POST", f"machines/{ready}/", "deploy")
    wait_for(lambda: status_of(admin, ready) == "Deployed", timeout=5)
    types = [e["type"] for e in reversed(events_of(admin, ready, level="INFO"))]
    assert types[-6:] == ["Deploying", "Performing PXE boot", "Loading ephemeral",
                          "Installing OS", "Rebooting", "Deployed"]


def test_a_machine_told_to_fail_ends_in_failed_deployment_and_says_why(admin, sandbox, ready):
    sandbox.state.fail_next(ready)
    admin.ok("POST", f"machines/{ready}/", "deploy")
    wait_for(lambda: status_of(admin, ready) == "Failed deployment", timeout=5)
    failed = admin.ok("GET", f"machines/{ready}/")
    assert failed["error_description"]
    assert failed["status_message"] == failed["error_description"]
    errors = events_of(admin, ready, level="ERROR")
    assert errors[0]["type"] == "Failed deployment"
    assert errors[0]["description"] == failed["error_description"]
    # Only the next deploy fails: after a release the machine deploys fine.
    admin.ok("POST", f"machines/{ready}/", "release")
    wait_for(lambda: status_of(admin, ready) == "Ready", timeout=5)
    admin.ok("POST", f"machines/{ready}/", "deploy")
    wait_for(lambda: status_of(admin, ready) == "Deployed", timeout=5)


def test_machines_listed_to_fail_and_a_fail_rate_fail_every_time():
    with Sandbox(machines=30, deploy_seconds=0.2, fail_rate=1.0) as doomed:
        api = Api(doomed.url, doomed.api_key)
        machine = api.ok("POST", "machines/", "allocate")
        api.ok("POST", f"machines/{machine['system_id']}/", "deploy")
        wait_for(lambda: status_of(api, machine["system_id"]) == "Failed deployment", 5)
    with Sandbox(machines=30, deploy_seconds=0.2, seed=1) as probe:
        hostname = Api(probe.url, probe.api_key).ok("GET", "machines/", status="ready")[0][
            "hostname"]
    with Sandbox(machines=30, deploy_seconds=0.2, seed=1, fail_machines=[hostname]) as listed:
        api = Api(listed.url, listed.api_key)
        system_id = api.ok("GET", "machines/", hostname=hostname)[0]["system_id"]
        api.ok("POST", f"machines/{system_id}/", "deploy")
        wait_for(lambda: status_of(api, system_id) == "Failed deployment", 5)


def test_release_goes_through_releasing_to_ready_and_clears_ownership(admin, ready):
    admin.ok("POST", f"machines/{ready}/", "deploy")
    wait_for(lambda: status_of(admin, ready) == "Deployed", timeout=5)
    admin.ok("POST", f"machines/{ready}/", "set_owner_data", team="blue")
    releasing = admin.ok("POST", f"machines/{ready}/", "release", comment="done")
    assert releasing["status_name"] == "Releasing"
    wait_for(lambda: status_of(admin, ready) == "Ready", timeout=5)
    released = admin.ok("GET", f"machines/{ready}/")
    assert (released["owner"], released["owner_data"], released["osystem"]) == (None, {}, "")
    assert released["power_state"] == "off" and released["ip_addresses"] == []
    again = admin.ok("POST", f"machines/{ready}/", "release")  # releasing Ready does nothing
    assert again["status_name"] == "Ready"


@pytest.mark.parametrize("option", ["erase", "secure_erase", "quick_erase"])
def test_release_with_erase_goes_through_disk_erasing(admin, ready, option):
    admin.ok("POST", "machines/", "allocate", system_id=ready)
    erasing = admin.ok("POST", f"machines/{ready}/", "release", **{option: "true"})
    assert erasing["status_name"] == "Disk erasing"
    wait_for(lambda: status_of(admin, ready) == "Ready", timeout=5)


def test_erasing_on_release_can_be_the_default(admin, ready):
    assert admin.post("maas/", "set_config", name="enable_disk_erasing_on_release",
                      value="true").text == "OK"
    admin.ok("POST", "machines/", "allocate", system_id=ready)
    assert admin.ok("POST", f"machines/{ready}/", "release")["status_name"] == "Disk erasing"


def test_abort_stops_a_deploy_and_returns_the_machine_to_allocated(admin, ready):
    admin.ok("POST", f"machines/{ready}/", "deploy")
    aborted = admin.ok("POST", f"machines/{ready}/", "abort", comment="wrong image")
    assert (aborted["status_name"], aborted["power_state"]) == ("Allocated", "off")
    time.sleep(0.5)  # the aborted deploy's later steps must not fire
    assert status_of(admin, ready) == "Allocated"


def test_abort_erasing_gives_failed_disk_erasing(admin, ready):
    admin.ok("POST", "machines/", "allocate", system_id=ready)
    admin.ok("POST", f"machines/{ready}/", "release", erase="true")
    assert admin.ok("POST", f"machines/{ready}/", "abort")["status_name"] == "Failed disk erasing"


def test_releasing_a_deploying_machine_cancels_the_deploy(admin, ready):
    admin.ok("POST", f"machines/{ready}/", "deploy")
    assert admin.ok("POST", f"machines/{ready}/", "release")["status_name"] == "Releasing"
    wait_for(lambda: status_of(admin, ready) == "Ready", timeout=5)
    time.sleep(0.4)
    assert status_of(admin, ready) == "Ready"


def test_illegal_transitions_answer_409_with_maas_like_messages(admin, ready):
    machines = admin.ok("GET", "machines/")
    deployed = first(machines, status_name="Deployed")["system_id"]
    new = first(machines, status_name="New")["system_id"]
    response = admin.post(f"machines/{deployed}/", "deploy")
    assert (response.status_code, response.text) == (
        409, "Node cannot be deployed because it is in the 'Deployed' state.")
    response = admin.post(f"machines/{new}/", "release")
    assert (response.status_code, response.text) == (
        409, "Machine cannot be released in its current state ('New').")
    response = admin.post(f"machines/{ready}/", "abort")
    assert (response.status_code, response.text) == (
        409, "Node cannot be aborted because it is in the 'Ready' state.")
    failed = first(machines, status_name="Failed deployment")["system_id"]
    assert admin.post(f"machines/{failed}/", "deploy").status_code == 409


def test_deploy_validates_its_parameters(admin, ready):
    path = f"machines/{ready}/"
    assert "user_data" in admin.post(path, "deploy", user_data="not base64!").json()
    assert "distro_series" in admin.post(path, "deploy", distro_series="warty").json()
    assert "hwe_kernel" in admin.post(path, "deploy", distro_series="jammy",
                                      hwe_kernel="hwe-99.04").json()
    assert status_of(admin, ready) == "Ready"  # nothing happened
    started = admin.ok("POST", path, "deploy", distro_series="centos/centos70")
    assert (started["osystem"], started["distro_series"], started["hwe_kernel"]) == (
        "centos", "centos70", None)


def test_deploy_uses_the_configured_defaults(admin, ready):
    assert admin.post("maas/", "set_config", name="default_distro_series",
                      value="focal").status_code == 200
    assert admin.ok("POST", f"machines/{ready}/", "deploy")["distro_series"] == "focal"


def test_a_user_cannot_deploy_a_machine_allocated_to_someone_else(admin, ops, ready):
    admin.ok("POST", "machines/", "allocate", system_id=ready)
    assert ops.post(f"machines/{ready}/", "deploy").status_code == 404  # not even visible
    unowned = first(ops.ok("GET", "machines/", status="ready"), owner=None)["system_id"]
    assert ops.ok("POST", f"machines/{unowned}/", "deploy")["owner"] == "ops"


def test_commissioning_machines_finish_commissioning():
    with Sandbox(machines=40, deploy_seconds=0.1) as running:
        api = Api(running.url, running.api_key)
        commissioning = api.ok("GET", "machines/", status="commissioning")
        assert commissioning
        system_id = commissioning[0]["system_id"]
        wait_for(lambda: status_of(api, system_id) == "Ready", timeout=5)


def test_the_status_table_matches_maas_3_7(shared_fixtures):
    table = json.loads((shared_fixtures / "status" / "maas_node_status_by_version.json")
                       .read_text())
    group = next(g for g in table["groups"] if "3.7" in g["maas_branches"])
    assert [(s["value"], s["constant"], s["status_name"]) for s in group["statuses"]] == \
        statuses.STATUSES
    real = {old: set(new) for old, new in group["NODE_TRANSITIONS"].items() if old != "None"}
    assert {old: set(new) for old, new in statuses.TRANSITIONS.items()} == real
    assert statuses.FAILURE_TRANSITIONS == group["NODE_FAILURE_STATUS_TRANSITIONS"]
