"""Figure 5, memory: the peak RSS of a fresh process holding a ``Client`` built from the
largest describe document in the fixtures (every handler and action materialised), against
the same process with only the imports. Each measurement is its own process
(``memory_probe.py``, started through a forking shell so that it does not inherit this
process's ``ru_maxrss``); the modes alternate and the figure is the median of the rounds."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from harness import HERE, Context, Row

from maas_notebook.profiles import DescribeCache
from maas_notebook.transport import api_root

URL = "http://127.0.0.1:9/MAAS/"  # never contacted: the description comes from the cache
API_KEY = "bench:bench:secret"
MODES = ("imports", "document", "client")


def run(ctx: Context) -> list[Row]:
    figure = "memory: peak RSS, client with the largest description vs imports only"
    largest = ctx.largest_describe
    if largest is None:
        why = f"no describe fixtures at {ctx.fixtures / 'describe'} (../shared is absent)"
        return [Row.skip("memory.client", figure, "—", why)]
    cache_dir = ctx.tmp / "describe-memory"
    DescribeCache(cache_dir).save(api_root(URL), json.loads(largest.read_text()))
    rounds = ctx.rounds("memory_rounds")
    peaks: dict[str, list[float]] = {mode: [] for mode in MODES}
    counts, hwm = {}, {mode: [] for mode in MODES}
    for index in range(rounds):
        for mode in MODES[index % 3:] + MODES[:index % 3]:
            result = _probe(mode, cache_dir)
            peaks[mode].append(result["maxrss_mb"])
            hwm[mode].append(result["vmhwm_mb"])
            counts = counts or ({"handlers": result["handlers"], "actions": result["actions"]}
                                if mode == "client" else {})
        ctx.log(f"memory round {index + 1}/{rounds}: " +
                ", ".join(f"{m} {peaks[m][-1]:.1f} MB" for m in MODES))
    imports, document, client = (statistics.median(peaks[m]) for m in MODES)
    sizes = (f"{largest.stem}, {largest.stat().st_size / 1e3:.0f} kB; {counts.get('handlers')} "
             f"handlers, {counts.get('actions')} actions materialised")
    per_round = [c / i for c, i in zip(peaks["client"], peaks["imports"])]
    return [Row("memory.client", figure, sizes, ours=client, baseline=imports, unit="MB",
                ratio=statistics.median(per_round), round_ratios=per_round, rounds={**peaks, **{f"{m}_vmhwm": v for m, v in hwm.items()}},
                note=f"client adds {client - imports:.1f} MB over the imports; the parsed "
                     f"document alone (json.loads, kept) adds {document - imports:.1f} MB; "
                     f"/proc VmHWM agrees: imports {statistics.median(hwm['imports']):.1f}, client "
                     f"{statistics.median(hwm['client']):.1f} MB")]


def _probe(mode: str, cache_dir) -> dict:
    # Through a shell that forks: Linux carries ru_maxrss across exec, so a probe exec'd
    # straight from this (large) process would report this process's peak, not its own.
    command = [sys.executable, str(HERE / "memory_probe.py"), mode, str(cache_dir), URL, API_KEY]
    done = subprocess.run(["/bin/sh", "-c", '"$@"; exit $?', "sh", *command],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {mode} failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout)
