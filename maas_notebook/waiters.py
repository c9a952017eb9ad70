"""Wait for machines to reach a status, and act on many machines at once.

``wait`` polls with ONE server-side filtered ``machines read`` per round, however many
machines it watches, backing off between rounds. ``deploy_many`` / ``release_many`` send
one request per machine with bounded concurrency. No machine is asked twice: a POST is sent
again only after a 503 with ``Retry-After`` (MAAS says it did nothing), and one that got no
answer at all is never resent: the machine's status then tells whether MAAS acted on it.
Both report failures with MAAS's own words (``status_message``, ``error_description`` and
the machine's last events) in a :class:`DeployFailed`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from .errors import (DeployFailed, HTTPError, MAASError, ResponseError, ServiceUnavailable,
                     TransportError, WaitTimeout)

#: Longer than MAAS's own 30-minute deployment timeout, so MAAS decides a deploy failed.
DEFAULT_TIMEOUT = 40 * 60.0
EVENTS_ON_FAILURE = 5
#: How often one machine's request is sent again after a 503 with ``Retry-After`` (MAAS
#: says it did nothing), and the longest such pause honoured, in seconds.
BUSY_RESENDS = 3
MAX_BUSY_PAUSE = 30.0
#: Statuses showing that a bulk action took effect, for a machine whose answer was lost.
_STARTED = {"deploy": ("Deploying", "Deployed"),
            "release": ("Releasing", "Disk erasing", "Ready")}

Progress = Callable[[dict[str, str]], None]


def is_failure(status_name: str) -> bool:
    """True for statuses a machine falls to when an operation fails."""
    return "failed" in status_name.lower() or status_name in ("Broken", "Missing")


def wait(client, system_ids: Iterable[str], until: str = "Deployed", *,
         timeout: float = DEFAULT_TIMEOUT, interval: float = 2.0, max_interval: float = 15.0,
         on_update: Progress | None = None) -> dict[str, dict]:
    """Wait until every machine in ``system_ids`` has status ``until`` (a status name).

    Returns system_id -> the machine as last read. Raises :class:`DeployFailed` (after all
    machines have settled) when some reached a failure status, carrying each one's
    ``status_message``, ``error_description`` and last events; :class:`WaitTimeout` when some
    are still on their way after ``timeout`` seconds. Passing network trouble (a restart,
    a 503) does not stop the wait: the next round tries again.
    """
    return _wait(client, system_ids, until, timeout, interval, max_interval, on_update)


def _wait(client, system_ids: Iterable[str], until: str, timeout: float, interval: float,
          max_interval: float, on_update: Progress | None, doubtful: Iterable[str] = (),
          started: tuple[str, ...] = ()) -> dict[str, dict]:
    """:func:`wait`, where the machines in ``doubtful`` (their request got no answer) may
    never start: one whose status is not among ``started`` counts as settled once every
    other machine has, so a request still on its way had the others' whole run to land."""
    pending = list(dict.fromkeys(system_ids))
    doubtful = set(doubtful)
    machines: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    delay = interval
    while pending:
        for machine in _read_or_none(client, pending) or ():
            machines[machine["system_id"]] = machine
        pending = [sid for sid in pending
                   if sid not in machines or not _settled(machines[sid], until)]
        unstarted = {sid for sid in pending if sid in doubtful and sid in machines
                     and machines[sid].get("status_name") not in started}
        if unstarted and unstarted == set(pending):
            pending = []
        if on_update:
            on_update({sid: m.get("status_name", "") for sid, m in machines.items()})
        if not pending:
            break
        if time.monotonic() + delay > deadline:
            raise WaitTimeout({sid: machines.get(sid, {}).get("status_name", "unknown")
                               for sid in pending}, timeout)
        time.sleep(delay)
        delay = min(delay * 1.5, max_interval)
    failed = {sid: m for sid, m in machines.items() if m.get("status_name") != until}
    if failed:
        raise DeployFailed({sid: describe_failure(client, m) for sid, m in failed.items()})
    return machines


def _settled(machine: dict, until: str) -> bool:
    status = machine.get("status_name", "")
    return status == until or is_failure(status)


def _read_or_none(client, system_ids: list[str]) -> list[dict] | None:
    try:
        return client.machines.read(id=system_ids)
    except (TransportError, HTTPError) as exc:
        if isinstance(exc, HTTPError) and exc.status < 500:
            raise
        return None  # the server is restarting or overloaded: try again next round


def describe_failure(client, machine: dict) -> dict:
    """What went wrong with ``machine``: its status, MAAS's messages and last events."""
    failure = {key: machine.get(key) or "" for key in
               ("hostname", "status_name", "status_message", "error_description")}
    try:
        page = client.events.query(id=machine["system_id"], limit=EVENTS_ON_FAILURE)
        failure["events"] = [e.get("description") or e.get("type", "") for e in page.get("events", [])]
    except MAASError:
        failure["events"] = []
    return failure


def deploy_many(client, system_ids: Iterable[str], *, concurrency: int = 8, wait: bool = True,
                timeout: float = DEFAULT_TIMEOUT, interval: float = 2.0, progress: bool = True,
                on_update: Progress | None = None, **params: Any) -> dict[str, dict]:
    """Deploy every machine in ``system_ids`` (``params`` as for ``machine.deploy``: osystem,
    distro_series, hwe_kernel, user_data ...), ``concurrency`` requests at a time.

    With ``wait`` (the default) also waits for Deployed and returns system_id -> machine;
    without, returns system_id -> the deploy response (None where the answer was lost but
    the machine's status shows MAAS acted on it). Machines MAAS refused (409 ...),
    machines whose request got no answer and did not start deploying, and machines that
    failed to deploy are reported together in one :class:`DeployFailed`. ``timeout`` bounds
    the whole call.
    """
    return _bulk(client, "deploy", system_ids, "Deployed", concurrency, wait, timeout,
                 interval, progress, on_update, params)


def release_many(client, system_ids: Iterable[str], *, concurrency: int = 8, wait: bool = True,
                 timeout: float = DEFAULT_TIMEOUT, interval: float = 2.0, progress: bool = True,
                 on_update: Progress | None = None, **params: Any) -> dict[str, dict]:
    """Release every machine in ``system_ids`` (``params``: erase, secure_erase, quick_erase,
    comment), and with ``wait`` wait until they are Ready again."""
    return _bulk(client, "release", system_ids, "Ready", concurrency, wait, timeout,
                 interval, progress, on_update, params)


def _bulk(client, action_name, system_ids, until, concurrency, wait_for, timeout, interval,
          progress, on_update, params) -> dict[str, dict]:
    system_ids = list(dict.fromkeys(system_ids))
    action = client.machine.action(action_name)
    deadline = time.monotonic() + timeout
    bar = _progress_bar(len(system_ids), f"{action_name} ({until})") if progress else None
    failures: dict[str, dict] = {}        # refused by MAAS, or known not to have started
    lost: dict[str, MAASError] = {}       # no answer: MAAS may or may not have acted

    def submit(sid: str) -> tuple[str, Any]:
        resends = 0
        while True:
            try:
                return sid, action(sid, **params)
            except ServiceUnavailable as exc:
                # A 503 with Retry-After says MAAS did nothing yet, so sending again cannot
                # act twice; without one (a proxy?) nobody said so: report it.
                pause = min(exc.retry_after or 0.0, MAX_BUSY_PAUSE)
                if (exc.retry_after is None or resends == BUSY_RESENDS
                        or time.monotonic() + pause > deadline):
                    failures[sid] = _refusal(exc)
                    return sid, None
                resends += 1
                time.sleep(pause)
            except HTTPError as exc:
                failures[sid] = _refusal(exc)
                return sid, None
            except (TransportError, ResponseError) as exc:
                lost[sid] = exc  # never sent again: the machine's status will tell
                return sid, None

    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            submitted = dict(pool.map(submit, system_ids))
        if not wait_for:
            failures.update(_not_started(client, action_name, lost, deadline, interval))
            if failures:
                raise DeployFailed(failures)
            return submitted
        try:
            done = _wait(client, [sid for sid in system_ids if sid not in failures], until,
                         max(0.0, deadline - time.monotonic()), interval, 15.0,
                         _chain(on_update, bar and bar.update_statuses(until)),
                         doubtful=lost, started=_STARTED[action_name])
        except DeployFailed as failed:
            for sid, failure in failed.failures.items():
                if sid in lost and not _did_start(action_name, failure.get("status_name", "")):
                    failure = _lost(action_name, lost[sid], failure)
                failures[sid] = failure
        except WaitTimeout as late:  # say what is known to have failed, not only what is late
            raise WaitTimeout(late.pending, late.timeout, failures) from None
    finally:
        if bar:
            bar.close()
    if failures:
        raise DeployFailed(failures)
    return done


def _refusal(exc: HTTPError) -> dict:
    return {"hostname": "", "status_name": f"refused ({exc.status})",
            "status_message": exc.body.strip(), "error_description": "", "events": []}


def _lost(action_name: str, exc: MAASError, machine: dict | None) -> dict:
    """The failure of a machine whose request got no answer and that did not start."""
    why = f"no answer to the {action_name} request ({type(exc).__name__})"
    if machine is None:
        name, message = "unknown (no answer)", (
            f"{why} and its status could not be read: MAAS may have started it; "
            "check the machine before trying again")
    else:
        name, message = "not started (no answer)", (
            f"{why}; read afterwards, the machine was still {machine.get('status_name')}, "
            f"so MAAS did not start it: check it, then {action_name} it again")
    return {"hostname": (machine or {}).get("hostname", ""), "status_name": name,
            "status_message": message, "error_description": str(exc),
            "events": (machine or {}).get("events", [])}


def _not_started(client, action_name: str, lost: dict[str, MAASError], deadline: float,
                 interval: float) -> dict[str, dict]:
    """Failures for the machines whose request got no answer and that did not start.

    A POST without an answer may or may not have been carried out, and sending it again
    could act twice; so read each machine's status instead.
    """
    if not lost:
        return {}
    machines = _read_or_none(client, list(lost))
    while machines is None and time.monotonic() + interval < deadline:
        time.sleep(interval)
        machines = _read_or_none(client, list(lost))
    seen = {m.get("system_id"): m for m in machines or ()}
    return {sid: _lost(action_name, exc, seen.get(sid)) for sid, exc in lost.items()
            if not _did_start(action_name, seen.get(sid, {}).get("status_name", ""))}


def _did_start(action_name: str, status: str) -> bool:
    """Whether a machine in ``status`` shows that MAAS carried out ``action_name``."""
    return status in _STARTED[action_name] or is_failure(status)


def _chain(*callbacks: Progress | None) -> Progress | None:
    live = [c for c in callbacks if c]
    if not live:
        return None

    def update(statuses: dict[str, str]) -> None:
        for callback in live:
            callback(statuses)
    return update


class _TqdmBar:
    """A tqdm bar (notebook bar in Jupyter) counting machines that have settled."""

    def __init__(self, total: int, label: str):
        from tqdm.auto import tqdm
        self._bar = tqdm(total=total, desc=label, unit="machine")

    def update_statuses(self, until: str) -> Progress:
        def update(statuses: dict[str, str]) -> None:
            settled = sum(1 for s in statuses.values() if s == until or is_failure(s))
            self._bar.update(settled - self._bar.n)
        return update

    def close(self) -> None:
        self._bar.close()


def _progress_bar(total: int, label: str) -> _TqdmBar | None:
    try:
        return _TqdmBar(total, label)
    except ImportError:  # tqdm is optional: no bar, same behaviour
        return None
