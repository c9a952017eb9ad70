"""``benchmarks/bench_frames.py`` (another engineer's: ``machines_frame`` against
``json.loads`` for N MAAS 3.7-shaped machines), run as it is and read back. It exposes no
function that returns its figures, so it runs as a subprocess and its printed medians and
ratio are parsed; if its output changes shape, the row says so instead of guessing."""

from __future__ import annotations

import re
import subprocess
import sys

from harness import HERE, Context, Goal, Row

SCRIPT = HERE / "bench_frames.py"
_MS = r"([\d.]+) ms"


def run(ctx: Context) -> list[Row]:
    machines, rounds = ctx.sizes["frames_machines"], ctx.rounds("frames_rounds")
    figure = "frames: machines_frame vs json.loads (bench_frames.py)"
    sizes = f"{machines:,} 3.7-shaped machines, {rounds} rounds"
    if not SCRIPT.exists():
        return [Row.skip("frames.machines_frame", figure, sizes, f"{SCRIPT} is absent")]
    ctx.log(f"frames: running {SCRIPT.name} --machines {machines} --rounds {rounds}")
    done = subprocess.run([sys.executable, str(SCRIPT), "--machines", str(machines),
                           "--rounds", str(rounds)], capture_output=True, text=True, timeout=1800)
    output = done.stdout + done.stderr
    for line in output.strip().splitlines():
        ctx.log(f"  bench_frames: {line}")
    decode = re.search(r"json\.loads\(body\):\s*" + _MS, output)
    frame = re.search(r"machines_frame\(decoded\):\s*" + _MS, output)
    ratio = re.search(r"ratio:\s*([\d.]+)\s*\(goal\s*<=\s*([\d.]+)", output)
    if done.returncode != 0 or not (decode and frame and ratio):
        last = output.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise RuntimeError(f"bench_frames.py gave no figures (exit {done.returncode}): {last[0]}")
    goal = Goal("<=", float(ratio.group(2)))
    value = float(ratio.group(1))
    source = re.search(r"source:\s*(.*)", output)
    return [Row("frames.machines_frame", figure, sizes, ours=float(frame.group(1)) / 1e3,
                baseline=float(decode.group(1)) / 1e3, ratio=value, goal=str(goal),
                met=goal.met(value), note="median of its rounds, as bench_frames.py computes it; "
                f"{source.group(1) if source else ''}")]
