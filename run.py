#!/usr/bin/env python3
"""One entry point for a fresh machine with only Python 3.

    python3 run.py demo     # the sandbox MAAS plus JupyterLab with the example notebooks
    python3 run.py test     # the whole test suite (extra arguments go to pytest)
    python3 run.py bench    # the benchmarks (extra arguments go to the benchmark runner)

Each command creates ``.venv`` beside this file on first use and installs the project into
it with the extras it needs; later runs reinstall only when ``pyproject.toml`` changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
EXTRAS = {"demo": "lab", "test": "test,lab", "bench": "test"}


def ensure_environment(extras: str) -> None:
    """Create the virtual environment and install the project with ``extras``, once."""
    if not PYTHON.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{extras.replace(',', '-')}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    print(f"installing maas-notebook[{extras}] into {VENV} ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-e", f"{ROOT}[{extras}]"], check=True)
    stamp.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__.strip())
        return 2
    command, rest = argv[0], argv[1:]
    ensure_environment(EXTRAS[command])
    if command == "test":
        args = [str(PYTHON), "-m", "pytest", *rest]
    elif command == "bench":
        args = [str(PYTHON), str(ROOT / "benchmarks" / "run.py"), *rest]
    else:
        args = [str(PYTHON), "-m", "maas_notebook", "demo", *rest]
    child = subprocess.Popen(args, cwd=ROOT)
    interrupted = False
    while True:  # Ctrl-C reaches the child too: let it shut down cleanly; a second one insists
        try:
            return child.wait()
        except KeyboardInterrupt:
            if interrupted:
                child.terminate()
            interrupted = True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
