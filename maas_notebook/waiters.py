"""Wait for machines to reach a status, and act on many machines at once.

``wait`` polls with ONE server-side filtered ``machines read`` per round, however many
machines it watches, backing off between rounds. ``deploy_many`` / ``release_many`` send
one request per machine with bounded concurrency; those POSTs are never retried, so no
machine is asked twice. Both report failures with MAAS's own words (``status_message``,
``error_description`` and the machine's last events) in a :class:`DeployFailed`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from .errors import DeployFailed, HTTPError, MAASError, TransportError, WaitTimeout

#: Longer than MAAS's own 30-minute deployment timeout, so MAAS decides a deploy failed.
DEFAULT_TIMEOUT = 40 * 60.0
EVENTS_ON_FAILURE = 5

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
    pending = list(dict.fromkeys(system_ids))
    machines: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    delay = interval
    while pending:
        for machine in _read_or_none(client, pending) or ():
            machines[machine["system_id"]] = machine
        pending = [sid for sid in pending
                   if sid not in machines or not _settled(machines[sid], until)]
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
    without, returns system_id -> the deploy response. Machines MAAS refused (409 ...)
    and machines that failed to deploy are reported together in one :class:`DeployFailed`.
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
    bar = _progress_bar(len(system_ids), f"{action_name} ({until})") if progress else None
    refused: dict[str, dict] = {}

    def submit(sid: str) -> tuple[str, Any]:
        try:
            return sid, action(sid, **params)
        except HTTPError as exc:
            refused[sid] = {"hostname": "", "status_name": f"refused ({exc.status})",
                            "status_message": exc.body.strip(), "error_description": "", "events": []}
            return sid, None

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        submitted = dict(pool.map(submit, system_ids))
    accepted = [sid for sid in system_ids if sid not in refused]
    if not wait_for:
        if refused:
            raise DeployFailed(refused)
        return submitted
    try:
        done = wait(client, accepted, until, timeout=timeout, interval=interval,
                    on_update=_chain(on_update, bar and bar.update_statuses(until)))
    except DeployFailed as failed:
        raise DeployFailed({**refused, **failed.failures}) from None
    finally:
        if bar:
            bar.close()
    if refused:
        raise DeployFailed(refused)
    return done


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
