"""What every benchmark figure shares: interleaved rounds, paired ratios, rows, the table,
and a sandbox MAAS in its own process.

The machine is noisy, so a figure is never an absolute time: the contenders alternate call by
call (the order rotating) so that drift and bursts of load hit them alike; each round gives
one ratio per pair (mean time per call of each), and the figure is the median of those ratios.
"""

from __future__ import annotations

import cProfile
import gc
import json
import pstats
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent

#: A contender: does ONE operation and returns the seconds it took.
Contender = Callable[[], float]


def op(operation: Callable[[], object], cleanup: Callable[[object], None] | None = None
       ) -> Contender:
    """A contender that times one call of ``operation``; ``cleanup(result)`` (closing a
    client, say) runs after the clock has stopped."""
    def run() -> float:
        start = time.perf_counter()
        result = operation()
        seconds = time.perf_counter() - start
        if cleanup is not None:
            cleanup(result)
        return seconds
    return run


def interleave(contenders: dict[str, Contender], rounds: int, calls: int = 1,
               warmup: bool = True, progress: Callable[[str], None] | None = None
               ) -> dict[str, list[float]]:
    """Alternate the contenders call by call: each round makes ``calls`` passes, and each
    pass runs every contender once, the order rotating from pass to pass (A B C, B C A ...),
    so that a burst of noise from elsewhere hits them alike.

    Returns name -> each round's mean seconds per call. One untimed warm-up pass first
    (imports, connection pools, caches), unless ``warmup`` is False.
    """
    names = list(contenders)
    if warmup:
        for name in names:
            contenders[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    turn = 0
    for index in range(rounds):
        gc.collect()  # each round starts from a clean heap, not the last round's garbage
        total = dict.fromkeys(names, 0.0)
        for _ in range(calls):
            shift, turn = turn % len(names), turn + 1
            for name in names[shift:] + names[:shift]:
                total[name] += contenders[name]()
        for name in names:
            times[name].append(total[name] / calls)
        if progress:
            progress(f"round {index + 1}/{rounds}: " + ", ".join(
                f"{name} {format_seconds(times[name][-1])}" for name in names))
    return times


def paired_ratio(ours: list[float], baseline: list[float]) -> float:
    """The median over rounds of ours / baseline, each ratio taken within one round."""
    return statistics.median(a / b for a, b in zip(ours, baseline))


@dataclass(frozen=True)
class Goal:
    """A goal on a ratio: ``("<=", 1.5)`` or ``(">=", 8)``."""

    op: str
    value: float

    def met(self, ratio: float) -> bool:
        return ratio <= self.value if self.op == "<=" else ratio >= self.value

    def __str__(self) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {self.value:g}×"


@dataclass
class Row:
    """One line of the table and one entry of the JSON."""

    key: str                   # stable id, e.g. "percall.whoami"
    figure: str                # what is compared, for people
    sizes: str                 # the sizes it was measured at
    ours: float | None = None  # median per-round value of our side
    baseline: float | None = None
    unit: str = "s"            # "s", "MB" or "requests"
    ratio: float | None = None
    ratio_kind: str = "ours/baseline"
    goal: str = "—"
    met: bool | None = None
    rounds: dict[str, list[float]] = field(default_factory=dict)
    round_ratios: list[float] = field(default_factory=list)  # one per round: the spread
    note: str = ""
    skipped: str = ""          # why there is no figure (libmaas missing, no fixture ...)
    profile: str = ""          # where the time goes, for a figure that misses its goal

    @classmethod
    def measured(cls, key: str, figure: str, sizes: str, times: dict[str, list[float]],
                 ours: str, baseline: str, goal: Goal | None = None, note: str = "",
                 speedup: bool = False) -> "Row":
        """A row from :func:`interleave` results: ``ours`` and ``baseline`` name contenders.
        ``speedup`` reports baseline/ours (bigger is better) instead of ours/baseline."""
        a, b = times[ours], times[baseline]
        per_round = [y / x for x, y in zip(a, b)] if speedup else [x / y for x, y in zip(a, b)]
        ratio = statistics.median(per_round)
        return cls(key, figure, sizes, statistics.median(a), statistics.median(b),
                   ratio=ratio, ratio_kind="baseline/ours" if speedup else "ours/baseline",
                   goal=str(goal) if goal else "—", met=goal.met(ratio) if goal else None,
                   rounds={ours: a, baseline: b}, round_ratios=per_round, note=note)

    @classmethod
    def skip(cls, key: str, figure: str, sizes: str, why: str) -> "Row":
        return cls(key, figure, sizes, skipped=why)

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "key"}


def profile_summary(operation: Callable[[], object], calls: int, top: int = 14,
                    cleanup: Callable[[object], None] | None = None) -> str:
    """cProfile of ``calls`` calls of ``operation``: the functions with the most own time
    (tottime), with their cumulative time, as a short text table."""
    profiler = cProfile.Profile()
    for _ in range(calls):
        profiler.enable()
        result = operation()
        profiler.disable()
        if cleanup is not None:
            cleanup(result)
    stats = pstats.Stats(profiler).stats
    total = sum(entry[2] for entry in stats.values()) or 1e-9
    lines = [f"cProfile of {calls} calls: {total / calls * 1e6:.0f} µs/call under the profiler; "
             f"top {top} functions by own time",
             f"{'own %':>6} {'own µs':>8} {'cum µs':>8} {'calls':>7}  (per call)  function"]
    ranked = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    for (path, line, name), (_, ncalls, tottime, cumtime, _) in ranked:
        where = f"{_short(path)}:{line}({name})" if line else name
        lines.append(f"{tottime / total * 100:6.1f} {tottime / calls * 1e6:8.1f} "
                     f"{cumtime / calls * 1e6:8.1f} {ncalls / calls:7.1f}              {where}")
    ours = sorted(((key, entry) for key, entry in stats.items() if "maas_notebook/" in key[0]),
                  key=lambda item: item[1][3], reverse=True)[:8]
    lines.append("maas_notebook's own functions by cumulative time (cum % of the call):")
    for (path, line, name), (_, ncalls, _, cumtime, _) in ours:
        lines.append(f"{cumtime / total * 100:6.1f} {'':8} {cumtime / calls * 1e6:8.1f} "
                     f"{ncalls / calls:7.1f}              {_short(path)}:{line}({name})")
    return "\n".join(lines)


def _short(path: str) -> str:
    """A source path without the interpreter's or the venv's prefix."""
    for marker in ("/site-packages/", str(PROJECT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    if "/lib/python3." in path:
        return path.split("/lib/python3.", 1)[1].split("/", 1)[-1]
    return path


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return format_seconds(value)
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.2f} {unit}"


def format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


TABLE_HEADER = ("figure", "sizes", "ours", "baseline", "ratio", "goal", "met?")
TABLE_LEGEND = ("ours / baseline: medians over rounds of the time per call (or MB, requests); "
                "ratio: median of the per-round ratios (lowest–highest round in brackets); "
                "it is ours/baseline except for the bulk speed-up (baseline/ours)")


def table(rows: list[Row]) -> str:
    """The rows as a fixed-width text table (skipped rows say so in the ratio column)."""
    lines = [TABLE_HEADER]
    for row in rows:
        if row.skipped:
            lines.append((row.figure, row.sizes, "—", "—", "skipped", row.goal, "n/a"))
            continue
        met = "n/a" if row.met is None else ("yes" if row.met else "NO")
        ratio = "—" if row.ratio is None else f"{row.ratio:.2f}×"
        if len(row.round_ratios) > 1:  # the spread over rounds: how far to trust the median
            ratio += f" ({min(row.round_ratios):.2f}–{max(row.round_ratios):.2f})"
        lines.append((row.figure, row.sizes, format_value(row.ours, row.unit),
                      format_value(row.baseline, row.unit), ratio, row.goal, met))
    widths = [max(len(line[i]) for line in lines) for i in range(len(TABLE_HEADER))]
    text = [" | ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()
            for line in lines]
    text.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(text)


class SandboxProcess:
    """``benchmarks/sandbox_server.py`` in a child process: ``url`` and ``api_key`` once up."""

    def __init__(self, machines: int = 20, seed: int = 0, describe: Path | None = None,
                 deploy_seconds: float = 1.0):
        self.args = [sys.executable, str(HERE / "sandbox_server.py"), "--machines", str(machines),
                     "--seed", str(seed), "--deploy-seconds", str(deploy_seconds)]
        if describe:
            self.args += ["--describe", str(describe)]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "SandboxProcess":
        self.process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            raise RuntimeError(f"the sandbox process exited ({self.process.returncode}) "
                               "before it listened; see its error above")
        info = json.loads(line)
        self.url, self.api_key = info["url"], info["api_key"]
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        self.process.stdin.close()  # the server stops when its stdin closes
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Context:
    """What a figure module gets: the sizes to use, where to put files, libmaas, a logger."""

    sizes: dict
    tmp: Path
    libmaas: object            # libmaas.Libmaas
    log: Callable[[str], None]
    fixtures: Path = PROJECT.parent / "shared" / "fixtures"

    def rounds(self, name: str) -> int:
        return self.sizes.get("rounds") or self.sizes[name]

    @property
    def largest_describe(self) -> Path | None:
        """The largest describe document in ../shared/fixtures/describe/, if it is there."""
        folder = self.fixtures / "describe"
        found = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_size) if folder.is_dir() else []
        return found[-1] if found else None
