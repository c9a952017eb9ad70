"""Concurrency: many threads sharing one Client (one requests.Session, one connection pool)
against the sandbox. No call fails, no thread gets another's answer, no write is lost, and
an API change seen by many threads at once refreshes the description once."""

from __future__ import annotations

import logging
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from maas_notebook import APIChangedWarning, Client
from maas_notebook.sandbox import Sandbox

THREADS = 20
CALLS = 1000  # in all: 50 per thread
MACHINES_PER_THREAD = 3


@pytest.fixture
def maas():
    with Sandbox(machines=THREADS * MACHINES_PER_THREAD + 5, deploy_seconds=0.3, seed=8) as sb:
        yield sb


def test_twenty_threads_share_one_client_for_a_thousand_calls(maas, caplog):
    client = Client(maas.url, maas.api_key, cache=False)
    system_ids = sorted(maas.state.machines)
    mine = {t: system_ids[t * MACHINES_PER_THREAD:(t + 1) * MACHINES_PER_THREAD]
            for t in range(THREADS)}
    written: dict[str, dict[str, str]] = {}  # system_id -> the owner data this test wrote
    start = threading.Barrier(THREADS)

    def worker(thread: int) -> list[str]:
        problems, machines = [], mine[thread]
        start.wait()  # all at once
        for i in range(CALLS // THREADS):
            sid = machines[i % len(machines)]
            kind = i % 3
            try:
                if kind == 0:
                    got = client.machine.read(sid)
                    if got["system_id"] != sid:
                        problems.append(f"read {sid} answered {got['system_id']}")
                elif kind == 1:
                    got = client.users.whoami()
                    if got.get("username") != "admin" or "system_id" in got:
                        problems.append(f"whoami answered {str(got)[:80]}")
                else:
                    key, value = f"thread{thread}", f"{thread}-{i}"
                    got = client.machine.set_owner_data(sid, **{key: value})
                    if got["system_id"] != sid or got["owner_data"].get(key) != value:
                        problems.append(f"set_owner_data {sid} answered {got['system_id']} "
                                        f"{got['owner_data']}")
                    written.setdefault(sid, {})[key] = value  # each sid has one writer
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever it is
                problems.append(f"{type(exc).__name__}: {exc}")
        return problems

    caplog.set_level(logging.WARNING)
    before = len(maas.log)
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        problems = [p for found in pool.map(worker, range(THREADS)) for p in found]
    elapsed = time.monotonic() - started
    assert problems == [], problems[:10]
    assert len(maas.log) - before == CALLS  # every call made exactly one request
    assert {entry.status for entry in list(maas.log)[before:]} == {200}
    assert not [r for r in caplog.records if "pool" in r.getMessage().lower()]
    # The sandbox's state is what the threads wrote, nothing lost or crossed.
    for sid, data in written.items():
        assert client.machine.read(sid)["owner_data"] == data, sid
    with maas.state.lock:
        for sid in system_ids[THREADS * MACHINES_PER_THREAD:]:
            assert maas.state.machines[sid].owner_data == {}  # untouched machines untouched
    assert elapsed < 60
    print(f"\nCONCURRENCY: {CALLS} calls from {THREADS} threads in {elapsed:.1f}s")


def test_an_api_change_seen_by_many_threads_refreshes_once(maas):
    client = Client(maas.url, maas.api_key, cache=False)
    describes = sum(1 for e in maas.log if e.path.endswith("/describe/"))
    maas.set_api_hash_salt("upgraded under load")
    start = threading.Barrier(THREADS)

    def worker(_thread: int) -> list[str]:
        start.wait()
        return [client.users.whoami()["username"] for _ in range(5)]

    # One recorder for all threads (catch_warnings itself is not thread-safe).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(THREADS) as pool:
            answers = [name for found in pool.map(worker, range(THREADS)) for name in found]
    assert answers == ["admin"] * THREADS * 5
    assert [w.category for w in caught] == [APIChangedWarning]
    assert sum(1 for e in maas.log if e.path.endswith("/describe/")) == describes + 1
    assert client.description.hash == maas.api_hash
