"""Figure 4, bulk: ``deploy_many`` + wait for N machines against deploying and waiting for
them one by one (goal ≥ 8×), and how many ``GET /machines/`` each polling round costs.

One by one takes N × (deploy time) seconds, so it is timed on a sample of machines and
extrapolated linearly to N; the output says so. The one-by-one loop polls its machine every
``poll`` seconds (finer than ``deploy_many``'s default 2 s start interval, so the baseline is
the fastest a sequential loop can be). Every round deploys fresh Ready machines.

The sandbox runs in this process here, because the request counts come from its log.
"""

from __future__ import annotations

import statistics
import time

from harness import Context, Goal, Row, interleave

from maas_notebook import Client
from maas_notebook.profiles import DescribeCache
from maas_notebook.sandbox import Sandbox
from maas_notebook.waiters import deploy_many, is_failure

GOAL = Goal(">=", 8)


def run(ctx: Context) -> list[Row]:
    n, sample = ctx.sizes["bulk_machines"], ctx.sizes["bulk_sample"]
    rounds, deploy_seconds = ctx.rounds("bulk_rounds"), ctx.sizes["deploy_seconds"]
    poll, interval = ctx.sizes["poll_interval"], ctx.sizes["bulk_interval"]
    # Ready is 60 % of a generated inventory: enough fresh machines for every round.
    machines = int((n + sample) * rounds / 0.55) + 20
    with Sandbox(machines=machines, deploy_seconds=deploy_seconds, seed=0) as sandbox:
        client = Client(sandbox.url, sandbox.api_key, cache=DescribeCache(ctx.tmp / "describe-bulk"))
        ready = [m["system_id"] for m in client.machines.read(status="ready")]
        polling: list[dict] = []
        options = {} if interval is None else {"interval": interval}

        def bulk() -> float:
            ids, ready[:] = ready[:n], ready[n:]
            sandbox.log.clear()
            updates = []
            start = time.perf_counter()
            done = deploy_many(client, ids, progress=False, on_update=updates.append, **options)
            seconds = time.perf_counter() - start
            assert len(done) == n and all(m["status_name"] == "Deployed" for m in done.values())
            reads = sum(1 for e in sandbox.log if e.method == "GET" and e.path.endswith("/machines/"))
            posts = sum(sandbox.machine_requests[(sid, "deploy")] for sid in ids)
            polling.append({"rounds": len(updates), "reads": reads, "deploy_posts": posts})
            return seconds

        def one_by_one() -> float:
            ids, ready[:] = ready[:sample], ready[sample:]
            start = time.perf_counter()
            for system_id in ids:
                _deploy_and_wait(client, system_id, poll)
            return (time.perf_counter() - start) / sample * n  # extrapolated to n machines

        sizes = (f"{n} machines, {deploy_seconds:g} s deploys; one by one timed on {sample} "
                 f"machines and extrapolated ×{n / sample:g}")
        ctx.log(f"bulk: {sizes}, {rounds} rounds (this takes a while)")
        times = interleave({"deploy_many": bulk, "one_by_one": one_by_one}, rounds,
                           warmup=False, progress=ctx.log)  # one call per round: A B, B A ...
        client.close()
    per_round = [p["reads"] / p["rounds"] for p in polling]
    interval_text = "default interval (2 s, ×1.5 back-off)" if interval is None else f"interval {interval:g} s"
    speed = Row.measured(
        "bulk.deploy_many", "bulk: deploy_many + wait vs one by one (speed-up)", sizes, times,
        "deploy_many", "one_by_one", GOAL, speedup=True,
        note=f"deploy_many with its {interval_text}, concurrency 8; one by one = machine.deploy "
             f"then machine.read every {poll:g} s until Deployed; baseline time EXTRAPOLATED "
             f"linearly from {sample} to {n} machines")
    reads = Row("bulk.requests_per_round", "bulk: GET /machines/ per polling round", f"{n} machines",
                ours=statistics.median(per_round), unit="requests", ratio=statistics.median(per_round),
                ratio_kind="reads/round", goal="≤ 1 per round", met=max(per_round) <= 1,
                rounds={"reads_per_round": per_round}, round_ratios=per_round,
                note="; ".join(f"round {i + 1}: {p['reads']} reads in {p['rounds']} polling rounds, "
                               f"{p['deploy_posts']} deploy POSTs for {n} machines"
                               for i, p in enumerate(polling)))
    return [speed, reads]


def _deploy_and_wait(client: Client, system_id: str, poll: float) -> None:
    client.machine.deploy(system_id)
    while True:
        status = client.machine.read(system_id)["status_name"]
        if status == "Deployed":
            return
        if is_failure(status):
            raise AssertionError(f"{system_id} failed to deploy in the sandbox: {status}")
        time.sleep(poll)
