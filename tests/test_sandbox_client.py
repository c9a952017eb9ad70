"""The project's own client against the sandbox, end to end (the issue's "must show"):
whoami, a filtered read, allocate, deploy, poll to Deployed, release to Ready."""

import pytest

from maas_notebook import Client
from maas_notebook.errors import Conflict, DeployFailed
from maas_notebook.sandbox import Sandbox
from maas_notebook.waiters import wait


@pytest.fixture
def running():
    with Sandbox(machines=20, deploy_seconds=0.3, seed=11) as sandbox:
        yield sandbox


def test_the_client_drives_a_machine_through_its_lifecycle(running):
    client = Client(running.url, running.api_key, cache=False)
    assert client.users.whoami()["username"] == "admin"
    ready = client.machines.read(status="ready", zone=["az1", "az2"])
    assert ready and {m["zone"]["name"] for m in ready} <= {"az1", "az2"}
    machine = client.machines.allocate(cpu_count=4)
    system_id = machine["system_id"]
    assert client.machine.deploy(system_id, distro_series="jammy")["status_name"] == "Deploying"
    wait(client, [system_id], "Deployed", timeout=10, interval=0.1)
    assert client.machine.release(system_id)["status_name"] == "Releasing"
    wait(client, [system_id], "Ready", timeout=10, interval=0.1)
    assert running.machine_requests[(system_id, "deploy")] == 1


def test_the_client_reports_a_failed_deploy_and_a_conflict(running):
    client = Client(running.url, running.api_key, cache=False)
    system_id = client.machines.allocate()["system_id"]
    running.state.fail_next(system_id)
    client.machine.deploy(system_id)
    with pytest.raises(DeployFailed) as failed:
        wait(client, [system_id], "Deployed", timeout=10, interval=0.1)
    assert failed.value.failures[system_id]["status_name"] == "Failed deployment"
    with pytest.raises(Conflict):
        client.machine.deploy(system_id)
