"""Waiting for machines and bulk actions, against the sandbox over HTTP."""

import pytest

from maas_notebook import Client
from maas_notebook.errors import DeployFailed, WaitTimeout
from maas_notebook.sandbox import Sandbox
from maas_notebook.waiters import deploy_many, release_many, wait


@pytest.fixture
def maas():
    with Sandbox(machines=12, deploy_seconds=0.3, seed=11) as sandbox:
        yield sandbox


@pytest.fixture
def client(maas):
    return Client(maas.url, maas.api_key, cache=False)


def ready(client, count):
    ids = [m["system_id"] for m in client.machines.read(status="ready")]
    assert len(ids) >= count
    return ids[:count]


def test_deploy_many_waits_for_deployed_with_one_read_per_round(client, maas):
    ids = ready(client, 4)
    before = len(maas.log)
    rounds = []
    done = deploy_many(client, ids, distro_series="jammy", progress=False, interval=0.1,
                       on_update=lambda statuses: rounds.append(dict(statuses)))
    assert set(done) == set(ids) and {m["status_name"] for m in done.values()} == {"Deployed"}
    assert {m["distro_series"] for m in done.values()} == {"jammy"}
    reads = [e for e in list(maas.log)[before:] if e.method == "GET" and e.path.endswith("/machines/")]
    assert len(reads) == len(rounds)  # one filtered read per round, however many machines
    assert all(maas.machine_requests[(sid, "deploy")] == 1 for sid in ids)


def test_a_failed_deploy_is_reported_with_maas_words_and_events(client, maas):
    good, bad = ready(client, 2)
    maas.state.fail_next(bad)
    with pytest.raises(DeployFailed) as caught:
        deploy_many(client, [good, bad], progress=False, interval=0.1)
    failure = caught.value.failures[bad]
    assert list(caught.value.failures) == [bad]
    assert failure["status_name"] == "Failed deployment"
    assert failure["status_message"] or failure["error_description"]
    assert failure["events"], "the machine's last events explain the failure"
    assert bad in str(caught.value) and "\n" not in str(caught.value)
    assert client.machine.read(good)["status_name"] == "Deployed"


def test_a_refused_machine_is_reported_and_the_others_still_deploy(client):
    first, second = ready(client, 2)
    deploy_many(client, [first], progress=False, interval=0.1)
    with pytest.raises(DeployFailed) as caught:
        deploy_many(client, [first, second], progress=False, interval=0.1)
    assert caught.value.failures[first]["status_name"] == "refused (409)"
    assert client.machine.read(second)["status_name"] == "Deployed"


def test_release_many_with_erase_returns_machines_to_ready(client):
    ids = ready(client, 2)
    deploy_many(client, ids, progress=False, interval=0.1)
    done = release_many(client, ids, erase=True, progress=False, interval=0.1)
    assert {m["status_name"] for m in done.values()} == {"Ready"}


def test_wait_times_out_with_what_is_still_pending(client):
    sid = ready(client, 1)[0]
    client.machine.deploy(sid)
    with pytest.raises(WaitTimeout) as caught:
        wait(client, [sid], "Deployed", timeout=0.05, interval=0.02)
    assert caught.value.pending == {sid: "Deploying"}


def test_wait_without_waiting_returns_the_deploy_answers(client):
    ids = ready(client, 2)
    answers = deploy_many(client, ids, wait=False, progress=False)
    assert {a["status_name"] for a in answers.values()} == {"Deploying"}
    wait(client, ids, interval=0.1)


def test_a_timeout_of_a_bulk_deploy_also_names_the_refused_machines(client):
    deployed, fresh = ready(client, 2)
    deploy_many(client, [deployed], progress=False, interval=0.1)
    with pytest.raises(WaitTimeout) as caught:
        deploy_many(client, [deployed, fresh], progress=False, interval=0.02, timeout=0.1)
    assert fresh in caught.value.pending
    assert caught.value.failures[deployed]["status_name"] == "refused (409)"
    assert "refused (409)" in str(caught.value) and "\n" not in str(caught.value)
