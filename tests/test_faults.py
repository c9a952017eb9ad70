"""Reliability under faults: bulk deploys over a flaky link, lost answers, server restarts
and API changes mid-session, all against the sandbox over real HTTP.

The invariants every test here checks, whatever the faults:

* every machine ends Deployed, or is listed in the :class:`DeployFailed` with a reason;
* no machine receives two deploy requests (counted on the server: ``sb.machine_requests``);
* the run ends within its timeout.

The sandbox keeps one fault rule per kind, so a mix of drops *before* and *after* the request
was carried out comes from :func:`drops_before_and_after`, which alternates the two.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
import warnings

import pytest

from maas_notebook import APIChangedWarning, Client, widgets
from maas_notebook.errors import DeployFailed, WaitTimeout
from maas_notebook.sandbox import Sandbox
from maas_notebook.waiters import deploy_many, release_many, wait

#: Whole-run bound of the 100-machine tests, in seconds (they take a few seconds).
BULK_TIMEOUT = 90.0
FAULTS = [("unavailable", {"share": 0.10, "retry_after": 0}),
          ("drop", {"share": 0.03}),
          ("slow", {"share": 0.05, "seconds": 0.3})]


def ready(client, count):
    ids = [m["system_id"] for m in client.machines.read(status="ready")]
    assert len(ids) >= count
    return ids[:count]


def deploys(sb, system_id):
    return sb.machine_requests[(system_id, "deploy")]


def server_status(sb, system_id):
    with sb.state.lock:
        sb.state.advance()
        return sb.state.machines[system_id].status_name


def drops_before_and_after(sb):
    """Make the sandbox's drop rule strike before and after carrying out, in turn."""
    pick, after, lock = sb.faults.pick, itertools.cycle([True, False]), threading.Lock()

    def alternating(method, target):
        rules = pick(method, target)
        with lock:
            return [dataclasses.replace(r, after=next(after)) if r.kind == "drop" else r
                    for r in rules]
    sb.faults.pick = alternating


def report(name, sb, elapsed, failures):
    # Shown with -s: the figures the closing note's table is made of.
    dropped = [e.path.split("/")[-2] for e in sb.log if e.status == "dropped" and e.op == "deploy"]
    after = sum(1 for sid in dropped if deploys(sb, sid) == 1)
    print(f"\nFAULTS {name}: injected={dict(sb.faults.injected)} elapsed={elapsed:.1f}s "
          f"deploys dropped before/after MAAS acted={len(dropped) - after}/{after} "
          f"requests={len(sb.log)} "
          f"failures={ {sid: f['status_name'] for sid, f in failures.items()} }")
    return after


def check_outcome(sb, ids, failures):
    """Every machine Deployed or reported with a reason; none asked twice."""
    assert set(failures) <= set(ids)
    for sid in ids:
        assert deploys(sb, sid) <= 1, f"{sid} received {deploys(sb, sid)} deploy requests"
        if sid not in failures:
            assert server_status(sb, sid) == "Deployed", sid
            continue
        failure = failures[sid]
        assert failure["status_name"]
        assert failure["status_message"] or failure["error_description"]
        if failure["status_name"] == "not started (no answer)":
            assert deploys(sb, sid) == 0 and server_status(sb, sid) == "Ready"


@pytest.fixture
def bulk_maas():
    # 170 machines give 100 Ready ones; 5 % of deploys fail as MAAS would report them.
    with Sandbox(machines=170, deploy_seconds=1.0, seed=3, fail_rate=0.05) as sb:
        yield sb


def flaky(sb):
    drops_before_and_after(sb)
    for kind, options in FAULTS:
        sb.faults.set(kind, **options)


def test_deploy_many_of_100_machines_over_a_flaky_link(bulk_maas):
    client = Client(bulk_maas.url, bulk_maas.api_key, cache=False)
    ids = ready(client, 100)
    flaky(bulk_maas)
    started, failures = time.monotonic(), {}
    try:
        done = deploy_many(client, ids, progress=False, interval=0.2, timeout=BULK_TIMEOUT)
        assert set(done) == set(ids)
    except DeployFailed as failed:
        failures = failed.failures
        summary = str(failed)
        assert "\n" not in summary and summary.startswith(f"{len(failures)} machine(s) failed")
        assert all(sid in summary for sid in failures)  # which machines, and why
        assert all(f["status_name"] in summary for f in failures.values())
    elapsed = time.monotonic() - started
    after = report("deploy_many", bulk_maas, elapsed, failures)
    assert elapsed < BULK_TIMEOUT
    assert after, "no deploy was dropped after MAAS acted: the seeded faults changed"
    assert bulk_maas.faults.injected["unavailable"] >= 5  # the faults really struck
    check_outcome(bulk_maas, ids, failures)
    # The seeded 5 % of failing deploys are reported with MAAS's own words and events.
    maas_failures = [f for f in failures.values() if f["status_name"] == "Failed deployment"]
    assert maas_failures and all(f["events"] for f in maas_failures)


def test_deploy_console_of_100_machines_over_a_flaky_link(bulk_maas):
    client = Client(bulk_maas.url, bulk_maas.api_key, cache=False)
    ids = ready(client, 100)
    flaky(bulk_maas)  # the console's own listings and lookups go through the faults too
    started = time.monotonic()
    console = widgets.deploy(client, interval=0.2, timeout=BULK_TIMEOUT)
    console.select(ids)
    assert set(console.fields["machines"].value) == set(ids)
    console.deploy()
    status = console.join(timeout=BULK_TIMEOUT + 10)
    elapsed = time.monotonic() - started
    assert report("console", bulk_maas, elapsed, console.failures), "no drop after MAAS acted"
    assert not console._thread.is_alive() and elapsed < BULK_TIMEOUT
    assert console.error is None and not console.deploy_button.disabled
    check_outcome(bulk_maas, ids, console.failures)
    for sid in ids:
        row = console._rows[sid]
        if sid in console.failures:
            assert status[sid] == console.failures[sid]["status_name"]
            assert row.bar.bar_style == "danger" and row.message.value
        else:
            assert status[sid] == "Deployed" and row.bar.bar_style == "success"
    if console.failures:
        assert f"{len(console.failures)} machine(s) failed" in console.message.value


# -- one answer lost: the decision ------------------------------------------------------------

@pytest.fixture
def maas():
    with Sandbox(machines=30, deploy_seconds=0.6, seed=5) as sb:
        yield sb


@pytest.fixture
def client(maas):
    return Client(maas.url, maas.api_key, cache=False)


def test_a_deploy_whose_answer_was_lost_is_followed_by_its_status_not_resent(client, maas):
    """The dangerous case: MAAS deployed the machine but the answer never came. Sending the
    POST again could deploy twice, so deploy_many never does; it reads the machine's status:
    Deploying means MAAS acted, and the machine is followed to Deployed like the others."""
    carried_out, fine = ready(client, 2)
    maas.faults.set("drop", pattern=f"/machines/{carried_out}/\\?op=deploy", after=True)
    done = deploy_many(client, [carried_out, fine], progress=False, interval=0.1, timeout=30)
    assert {m["status_name"] for m in done.values()} == {"Deployed"}
    assert maas.faults.injected["drop"] == 1 and deploys(maas, carried_out) == 1


def test_a_deploy_dropped_before_maas_acted_is_reported_not_resent(client, maas):
    """No answer, and the machine is still Ready afterwards: reported as not started, with
    what to do, never resent (the client cannot know the request will not land later)."""
    lost, fine = ready(client, 2)
    maas.faults.set("drop", pattern=f"/machines/{lost}/\\?op=deploy")
    with pytest.raises(DeployFailed) as caught:
        deploy_many(client, [lost, fine], progress=False, interval=0.1, timeout=30)
    failure = caught.value.failures[lost]
    assert list(caught.value.failures) == [lost]
    assert failure["status_name"] == "not started (no answer)"
    assert "still Ready" in failure["status_message"]
    assert "deploy it again" in failure["status_message"]
    assert "ConnectError" in failure["status_message"] and failure["hostname"]
    assert deploys(maas, lost) == 0 and server_status(maas, lost) == "Ready"
    assert [e.op for e in maas.log if e.path.endswith(f"/{lost}/")].count("deploy") == 1
    assert server_status(maas, fine) == "Deployed"


def test_without_waiting_a_lost_answer_is_settled_by_one_status_read(client, maas):
    carried_out, lost = ready(client, 2)
    maas.faults.set("drop", pattern=f"/machines/({carried_out}|{lost})/\\?op=deploy", times=1,
                    after=True)
    deploy_many(client, [carried_out], wait=False, progress=False)  # answer lost, MAAS acted
    maas.faults.set("drop", pattern=f"/machines/{lost}/\\?op=deploy", times=1)
    with pytest.raises(DeployFailed) as caught:
        deploy_many(client, [lost], wait=False, progress=False)  # lost before MAAS acted
    assert caught.value.failures[lost]["status_name"] == "not started (no answer)"
    assert server_status(maas, carried_out) in ("Deploying", "Deployed")
    assert (deploys(maas, carried_out), deploys(maas, lost)) == (1, 0)


def test_a_release_whose_answer_was_lost_is_followed_too(client, maas):
    carried_out, fine = ready(client, 2)
    deploy_many(client, [carried_out, fine], progress=False, interval=0.1, timeout=30)
    maas.faults.set("drop", pattern=f"/machines/{carried_out}/\\?op=release", after=True)
    done = release_many(client, [carried_out, fine], progress=False, interval=0.1, timeout=30)
    assert {m["status_name"] for m in done.values()} == {"Ready"}
    assert maas.faults.injected["drop"] == 1
    assert maas.machine_requests[(carried_out, "release")] == 1


def test_a_deploy_that_timed_out_is_followed_once_it_lands(slow_maas):
    """A read timeout leaves the request on its way; the verdict waits for the others
    (2 s deploys), so a deploy that lands late (0.6 s) is followed, not called failed."""
    maas = slow_maas
    client = Client(maas.url, maas.api_key, cache=False, timeout=(5, 0.3))
    late, *others = ready(client, 3)
    maas.faults.set("slow", pattern=f"/machines/{late}/\\?op=deploy", seconds=0.6)
    done = deploy_many(client, [late, *others], progress=False, interval=0.1, timeout=30)
    assert done[late]["status_name"] == "Deployed" and deploys(maas, late) == 1


def test_a_503_with_retry_after_is_resent_because_maas_did_nothing(client, maas):
    sid = ready(client, 1)[0]
    maas.faults.set("unavailable", pattern=f"/machines/{sid}/\\?op=deploy", times=2,
                    retry_after=0)
    done = deploy_many(client, [sid], progress=False, interval=0.1, timeout=30)
    assert done[sid]["status_name"] == "Deployed"
    posts = [e.status for e in maas.log if e.method == "POST" and e.path.endswith(f"/{sid}/")]
    assert posts == [503, 503, 200] and deploys(maas, sid) == 1


def test_a_server_error_is_reported_and_not_resent(client, maas):
    sid, fine = ready(client, 2)
    maas.faults.set("error", pattern=f"/machines/{sid}/\\?op=deploy")
    with pytest.raises(DeployFailed) as caught:
        deploy_many(client, [sid, fine], progress=False, interval=0.1, timeout=30)
    assert caught.value.failures[sid]["status_name"] == "refused (500)"
    assert "fault injection" in caught.value.failures[sid]["status_message"]
    posts = [e for e in maas.log if e.method == "POST" and e.path.endswith(f"/{sid}/")]
    assert len(posts) == 1 and deploys(maas, sid) == 0


# -- the server goes away and comes back ------------------------------------------------------

@pytest.fixture
def slow_maas():
    with Sandbox(machines=10, deploy_seconds=2.0, seed=5) as sb:
        yield sb


@pytest.mark.parametrize("retries", [0, 3])
def test_the_waiter_resumes_after_a_server_restart(slow_maas, retries):
    maas = slow_maas  # 2 s deploys: the 1 s downtime falls inside them
    client = Client(maas.url, maas.api_key, cache=False, retries=retries)
    ids = ready(client, 5)
    deploy_many(client, ids, wait=False, progress=False)
    rounds, port, window = [], maas.port, {}

    def restart():
        while len(rounds) < 2:  # stop while the waiter is polling
            time.sleep(0.01)
        window["statuses"] = {server_status(maas, sid) for sid in ids}
        maas.stop()
        window["stopped"] = time.monotonic()
        time.sleep(1.0)
        maas.start()
        window["started"] = time.monotonic()
    restarter = threading.Thread(target=restart, daemon=True)
    restarter.start()
    started = time.monotonic()
    done = wait(client, ids, interval=0.1, max_interval=0.3, timeout=30,
                on_update=lambda statuses: rounds.append(time.monotonic()))
    restarter.join(5)
    assert not restarter.is_alive() and maas.port == port
    assert {m["status_name"] for m in done.values()} == {"Deployed"}
    assert time.monotonic() - started < 30
    assert all(deploys(maas, sid) == 1 for sid in ids)
    # The wait was polling before the stop, still deploying then, and finished after the start.
    assert "Deploying" in window["statuses"]
    assert rounds[0] < window["stopped"] < window["started"] < rounds[-1]


def test_deploy_many_while_the_server_is_down_times_out_naming_every_machine(maas):
    client = Client(maas.url, maas.api_key, cache=False, retries=0)
    ids = ready(client, 3)
    maas.stop()
    started = time.monotonic()
    try:
        with pytest.raises(WaitTimeout) as caught:
            deploy_many(client, ids, progress=False, interval=0.1, timeout=2)
    finally:
        maas.start()
    assert time.monotonic() - started < 4
    assert caught.value.pending == {sid: "unknown" for sid in ids}
    assert "\n" not in str(caught.value)
    assert all(deploys(maas, sid) == 0 for sid in ids)


# -- the API changes under a running session --------------------------------------------------

def describes(sb):
    return sum(1 for e in sb.log if e.path.endswith("/describe/"))


def test_a_describe_change_mid_session_refreshes_once_and_carries_on(client, maas):
    assert describes(maas) == 1
    assert client.users.whoami()["username"] == "admin"
    maas.set_api_hash_salt("upgraded")
    with pytest.warns(APIChangedWarning, match="changed"):
        assert client.users.whoami()["username"] == "admin"  # the call itself succeeds
    assert describes(maas) == 2 and client.description.hash == maas.api_hash
    with warnings.catch_warnings():
        warnings.simplefilter("error", APIChangedWarning)
        for _ in range(5):
            client.zones.read()
    assert describes(maas) == 2


def test_a_describe_change_during_a_bulk_deploy_refreshes_once(client, maas):
    ids = ready(client, 6)
    salted = []

    def upgrade(statuses):
        if not salted:
            salted.append(maas.set_api_hash_salt("mid-deploy"))
    with pytest.warns(APIChangedWarning):
        done = deploy_many(client, ids, progress=False, interval=0.1, timeout=30,
                           on_update=upgrade)
    assert {m["status_name"] for m in done.values()} == {"Deployed"}
    assert describes(maas) == 2 and all(deploys(maas, sid) == 1 for sid in ids)
