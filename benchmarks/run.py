"""maas_notebook against what users would pick instead, side by side in one run.

    python3 run.py bench [--quick] [--only NAME,...] [--json PATH] [--no-libmaas] [--rounds N]
    (= .venv/bin/python benchmarks/run.py ...)

Figures (names for --only):
  startup  Client(url, key) from a warm describe cache vs json.loads of the same bytes
           (goal <= 1.5x), for the sandbox's description and the largest real fixture;
           vs python-libmaas's connect
  percall  client.users.whoami() vs bare requests + OAuth1 PLAINTEXT (goal <= 1.15x);
           %maas users whoami in a warm shell vs the client call (goal <= 1.3x)
  listing  machines.read() and + machines_frame vs bare request + json.loads, and vs
           python-libmaas's machines.list(), at 1,000 and 10,000 machines
  bulk     deploy_many + wait vs one by one for 200 machines (goal >= 8x; one by one is
           timed on a sample and extrapolated); GET /machines/ per polling round
  memory   peak RSS of a process holding a client with the largest description vs imports
  frames   benchmarks/bench_frames.py's machines_frame vs json.loads ratio

Every figure is a ratio measured in this run: each round runs every contender once, in an
order that rotates, and the figure is the median of the per-round ratios. Sandboxes are
started here on 127.0.0.1; python-libmaas is installed into its own venv
(benchmarks/.libmaas-venv) and run in a child process. The run uses a temporary HOME and
cache, so your profiles, ~/.maascli.db and describe cache are neither read nor written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # sibling modules; the checkout's package

GROUPS = ("startup", "percall", "listing", "bulk", "memory", "frames")
DEFAULT_JSON = HERE / "results" / "latest.json"

FULL = dict(
    startup_rounds=7, startup_calls=30,
    percall_rounds=7, percall_calls=300,
    listing_sizes=(1000, 10000), listing_calls={1000: 10, 10000: 1}, listing_rounds=7,
    bulk_machines=200, bulk_sample=20, bulk_rounds=3, deploy_seconds=1.0,
    bulk_interval=None, poll_interval=0.1,
    memory_rounds=3, frames_machines=10000, frames_rounds=5, profile_calls=300,
)
QUICK = dict(
    startup_rounds=3, startup_calls=3,
    percall_rounds=3, percall_calls=10,
    listing_sizes=(20, 100), listing_calls={20: 1, 100: 1}, listing_rounds=3,
    bulk_machines=6, bulk_sample=2, bulk_rounds=1, deploy_seconds=0.2,
    bulk_interval=0.1, poll_interval=0.05,
    memory_rounds=1, frames_machines=200, frames_rounds=2, profile_calls=20,
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[4:]))
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated figures to run (default: all of {', '.join(GROUPS)})")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON,
                        help="where to write the figures (default: %(default)s)")
    parser.add_argument("--no-libmaas", action="store_true",
                        help="do not install or run python-libmaas")
    parser.add_argument("--rounds", type=int, default=None, help="rounds for every figure")
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(args.only) - set(GROUPS))
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    return args


def isolate(tmp: Path) -> dict:
    """Point HOME and the XDG and IPython folders at ``tmp``; returns the original
    environment (pip, which installs libmaas, keeps the user's own configuration)."""
    original = dict(os.environ)
    for variable, folder in (("HOME", "home"), ("XDG_CACHE_HOME", "cache"),
                             ("XDG_CONFIG_HOME", "config"), ("IPYTHONDIR", "ipython"),
                             ("MPLCONFIGDIR", "matplotlib")):
        (tmp / folder).mkdir(parents=True, exist_ok=True)
        os.environ[variable] = str(tmp / folder)
    for variable in ("MAAS_URL", "MAAS_API_URL", "MAAS_API_KEY", "MAAS_CACERT", "MAAS_PROFILE"):
        os.environ.pop(variable, None)
    return original


def figures(group: str):
    """The function that measures ``group`` (imported late: each pulls in what it needs)."""
    if group == "startup":
        from fig_startup import run
    elif group == "percall":
        from fig_calls import run_percall as run
    elif group == "listing":
        from fig_calls import run_listing as run
    elif group == "bulk":
        from fig_bulk import run
    elif group == "memory":
        from fig_memory import run
    else:
        from fig_frames import run
    return run


def log(message: str) -> None:
    print(f"  · {message}", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="maas-notebook-bench-"))
    original_env = isolate(tmp)
    from harness import TABLE_LEGEND, Context, Row, table
    from libmaas import Libmaas

    sizes = dict(QUICK if args.quick else FULL, rounds=args.rounds)
    libmaas = Libmaas(not args.no_libmaas, original_env, log)
    ctx = Context(sizes=sizes, tmp=tmp, libmaas=libmaas, log=log)
    started = time.time()
    load_before = os.getloadavg()
    print(f"maas_notebook benchmarks ({'quick' if args.quick else 'full'} sizes): "
          f"{', '.join(args.only)}", flush=True)
    rows, errors = [], {}
    try:
        for group in args.only:
            print(f"[{group}]", flush=True)
            begun = time.perf_counter()
            try:
                rows += figures(group)(ctx)
            except Exception as exc:  # one broken figure must not hide the others
                traceback.print_exc()
                errors[group] = f"{type(exc).__name__}: {exc}"
                rows.append(Row.skip(f"{group}.error", f"{group}: FAILED", "—", errors[group]))
            log(f"{group} took {time.perf_counter() - begun:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "command": "python3 run.py bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1), "quick": args.quick,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "loadavg_before": load_before,
                    "loadavg_after": os.getloadavg()},
        "method": "contenders alternate call by call, the order rotating every pass; a "
                  "round is N passes; ours/baseline are the medians over rounds of the mean "
                  "time per call; ratio is the median of the per-round ratios",
        "notes": [],
        "figures": {row.key: row.as_json() for row in rows},
        "libmaas": vars(libmaas.status) if libmaas.status else {"status": "not needed"},
        "errors": errors,
    }
    print()
    print(table(rows))
    print(TABLE_LEGEND)
    print()
    print_notes(rows, report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"figures written to {args.json}")
    return 1 if errors else 0


def print_notes(rows, report) -> None:
    print("notes:")
    print(f"  - method: {report['method']}")
    for note in report["notes"]:
        print(f"  - {note}")
    machine = report["machine"]
    print(f"  - machine: {machine['cpus']} CPUs, Python {machine['python']}; load average "
          f"{machine['loadavg_before'][0]:.1f} before, {machine['loadavg_after'][0]:.1f} after "
          f"(other work on the machine widens the spread)")
    for row in rows:
        if row.skipped:
            print(f"  - {row.key}: skipped: {row.skipped}")
        elif row.note:
            print(f"  - {row.key}: {row.note}")
    status = report["libmaas"]
    detail = ", ".join(f"{k}={v}" for k, v in status.get("details", {}).items())
    print(f"  - python-libmaas: {status.get('status')}"
          f"{': ' + status['reason'] if status.get('reason') else ''}{' (' + detail + ')' if detail else ''}")
    if report["errors"]:
        print(f"  - FAILED figures: {report['errors']}")
    for row in rows:
        if row.profile:
            print(f"\nwhere the time goes: {row.key} ({row.figure}, {row.ratio:.2f}× against "
                  f"a goal of {row.goal})")
            print(row.profile)


if __name__ == "__main__":
    sys.exit(main())
