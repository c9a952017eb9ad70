"""Fault injection: 503 with Retry-After, 500, slow answers, dropped connections; the counters
that prove what reached the server."""

import time

import pytest
import requests
from sandbox_helpers import admin, first, sandbox  # noqa: F401 - fixtures

from maas_notebook.sandbox import Sandbox


def test_unavailable_answers_503_with_retry_after(sandbox, admin):
    sandbox.faults.set("unavailable", retry_after=7, times=2)
    first_try, second_try = admin.get("machines/"), admin.get("version/")
    assert [first_try.status_code, second_try.status_code] == [503, 503]
    assert first_try.headers["Retry-After"] == "7"
    assert admin.get("machines/").status_code == 200  # used up after two
    assert sandbox.faults.injected["unavailable"] == 2


def test_error_answers_500_without_carrying_out_the_request(sandbox, admin):
    machine = first(admin.ok("GET", "machines/"), status_name="Ready")
    sandbox.faults.set("error")
    response = admin.post("machines/", "allocate", system_id=machine["system_id"])
    assert response.status_code == 500 and "fault injection" in response.text
    sandbox.faults.clear("error")
    assert admin.ok("GET", f"machines/{machine['system_id']}/")["status_name"] == "Ready"


def test_slow_answers_come_late_but_right(sandbox, admin):
    sandbox.faults.set("slow", seconds=0.4, pattern=r"^GET /MAAS/api/2\.0/version/")
    started = time.monotonic()
    assert admin.get("version/").status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    admin.get("zones/")
    assert time.monotonic() - started < 0.4  # the pattern spares other paths


def test_a_dropped_connection_before_the_request_is_carried_out(sandbox, admin):
    machine = first(admin.ok("GET", "machines/"), status_name="Ready")
    sandbox.faults.set("drop", pattern="op=deploy", times=1)
    with pytest.raises(requests.ConnectionError):
        admin.post(f"machines/{machine['system_id']}/", "deploy")
    assert sandbox.machine_requests[(machine["system_id"], "deploy")] == 0
    assert admin.ok("GET", f"machines/{machine['system_id']}/")["status_name"] == "Ready"
    assert sandbox.log[-2].status == "dropped"


def test_a_dropped_answer_after_the_request_was_carried_out(sandbox, admin):
    machine = first(admin.ok("GET", "machines/"), status_name="Ready")
    sandbox.faults.set("drop", pattern="op=deploy", times=1, after=True)
    with pytest.raises(requests.ConnectionError):
        admin.post(f"machines/{machine['system_id']}/", "deploy")
    # The deploy happened although the client saw no answer: retrying it would deploy twice.
    assert sandbox.machine_requests[(machine["system_id"], "deploy")] == 1
    assert admin.ok("GET", f"machines/{machine['system_id']}/")["status_name"] in (
        "Deploying", "Deployed")


def test_a_share_of_requests_is_hit_deterministically():
    def outcomes(seed):
        with Sandbox(machines=1, seed=seed) as running:
            running.faults.set("unavailable", share=0.3)
            return [requests.get(running.url + "api/2.0/version/", timeout=5).status_code
                    for _ in range(100)]
    got = outcomes(5)
    assert 15 <= got.count(503) <= 45 and got.count(200) + got.count(503) == 100
    assert outcomes(5) == got


def test_faults_can_be_given_at_construction_and_are_validated():
    with Sandbox(machines=1, faults={"error": {"pattern": "version"}}) as running:
        assert requests.get(running.url + "api/2.0/version/", timeout=5).status_code == 500
        assert running.faults.injected == {"error": 1}
    with pytest.raises(ValueError, match="unknown fault"):
        Sandbox(machines=1).faults.set("meteor")


def test_machine_requests_count_what_reached_each_machine(sandbox, admin):
    machines = admin.ok("GET", "machines/", status="ready")[:2]
    for machine in machines:
        admin.post(f"machines/{machine['system_id']}/", "deploy")
    admin.get(f"machines/{machines[0]['system_id']}/")
    assert sandbox.machine_requests[(machines[0]["system_id"], "deploy")] == 1
    assert sandbox.machine_requests[(machines[1]["system_id"], "deploy")] == 1
    assert sandbox.machine_requests[(machines[0]["system_id"], "read")] == 1
    logged = sandbox.log[-1]
    assert (logged.method, logged.op, logged.status, logged.user) == ("GET", None, 200, "admin")
