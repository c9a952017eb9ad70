"""The benchmark runner, at tiny sizes, so it never rots: one ``--quick`` run in a subprocess,
checked for the SHAPE of what it prints and writes (rows, JSON keys, positive ratios), never
for timings. python-libmaas is left out (``--no-libmaas``): no install from the index here."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "benchmarks" / "run.py"
SHARED = ROOT.parent / "shared" / "fixtures" / "describe"

# Figure keys every quick run must produce (listing sizes are the quick ones: 20 and 100).
ALWAYS = [
    "startup.sandbox.json",
    "percall.whoami", "percall.magic", "percall.magic_maascli",
    "listing.20.read", "listing.20.frame", "listing.100.read", "listing.100.frame",
    "bulk.deploy_many", "bulk.requests_per_round",
    "frames.machines_frame",
]
LIBMAAS = ["startup.sandbox.libmaas_cold", "startup.sandbox.libmaas_warm",
           "listing.20.libmaas", "listing.100.libmaas"]
WITH_FIXTURES = ["startup.largest.json", "memory.client"]
FIGURE_FIELDS = {"figure", "sizes", "ours", "baseline", "unit", "ratio", "ratio_kind", "goal",
                 "met", "rounds", "round_ratios", "note", "skipped", "profile"}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    done = subprocess.run([sys.executable, str(RUNNER), "--quick", "--no-libmaas", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout, json.loads(out.read_text())


def test_it_prints_the_table_with_every_figure(quick_run):
    stdout, report = quick_run
    header = next(line for line in stdout.splitlines() if line.startswith("figure"))
    assert [cell.strip() for cell in header.split("|")] == [
        "figure", "sizes", "ours", "baseline", "ratio", "goal", "met?"]
    for figure in report["figures"].values():
        assert figure["figure"] in stdout
    for words in ("start-up: Client warm cache vs json.loads", "per call: client.users.whoami()",
                  "per call: %maas users whoami", "listing: client.machines.read()",
                  "bulk: deploy_many + wait vs one by one", "frames: machines_frame"):
        assert words in stdout
    assert "EXTRAPOLATED" in stdout, "the one-by-one figure says it is extrapolated"
    assert "python-libmaas: skipped: --no-libmaas given" in stdout


def test_the_json_has_every_figure_with_positive_ratios(quick_run):
    _, report = quick_run
    assert {"command", "started", "quick", "machine", "method", "notes", "figures", "libmaas",
            "errors"} <= set(report)
    assert report["quick"] is True and report["errors"] == {}
    expected = ALWAYS + LIBMAAS + (WITH_FIXTURES if SHARED.is_dir() else [])
    assert set(expected) <= set(report["figures"])
    for key, figure in report["figures"].items():
        assert set(figure) == FIGURE_FIELDS, key
        if figure["skipped"]:
            continue
        ratio = figure["ratio"]
        assert isinstance(ratio, (int, float)) and ratio > 0 and math.isfinite(ratio), key
        assert figure["ours"] > 0, key
        assert all(r > 0 for r in figure["round_ratios"]), key
        assert figure["met"] in (True, False, None), key
        if figure["met"] is False and key.startswith(("startup.", "percall.")):
            assert "cProfile" in figure["profile"], f"{key} misses its goal without a profile"


def test_libmaas_is_recorded_as_skipped_with_the_reason(quick_run):
    _, report = quick_run
    assert report["libmaas"]["status"] == "skipped"
    assert report["libmaas"]["reason"] == "--no-libmaas given"
    for key in LIBMAAS:
        assert report["figures"][key]["skipped"] == "--no-libmaas given"


def test_only_and_unknown_names():
    done = subprocess.run([sys.executable, str(RUNNER), "--only", "nosuch"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown figure" in done.stderr
