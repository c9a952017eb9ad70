"""python-libmaas, installed from the package index into its own virtual environment and driven
in a child process (``libmaas_worker.py``), so it can never disturb the project's own.

When it cannot be installed, imported or run here, the reason is kept word for word (the
error line) and the benchmark prints it and records it instead of a figure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import HERE

VENV = HERE / ".libmaas-venv"
PACKAGE = "python-libmaas"
INSTALL_TIMEOUT = 900  # seconds: a cold pip install of libmaas and aiohttp


class LibmaasError(Exception):
    """libmaas could not do what was asked; the message is its own error line."""


@dataclass
class Status:
    """What became of libmaas in this run (recorded in the JSON as is)."""

    status: str                 # "ok", "unavailable" or "skipped"
    reason: str = ""            # the error line, when not ok
    stage: str = ""             # "venv", "install", "import" or "run"
    details: dict = field(default_factory=dict)


def ensure_installed(env: dict, log=print) -> tuple[Path | None, Status]:
    """The libmaas venv's Python (creating and installing it on first use), or a reason."""
    python = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    stamp = VENV / ".installed"
    if python.exists() and stamp.exists():
        return python, Status("ok", details={"venv": str(VENV), "installed": "earlier run"})
    base = shutil.which("python3") or sys.executable
    log(f"creating {VENV} ({base} -m venv) and installing {PACKAGE} into it ...")
    started = time.perf_counter()
    made = _run([base, "-m", "venv", "--clear", str(VENV)], env, 120)
    if made.returncode != 0:
        return None, Status("unavailable", _error_line(made), "venv")
    installed = _run([str(python), "-m", "pip", "install", "--quiet",
                      "--disable-pip-version-check", PACKAGE], env, INSTALL_TIMEOUT)
    if installed.returncode != 0:
        return None, Status("unavailable", _error_line(installed), "install")
    stamp.write_text(f"{PACKAGE}\n")
    return python, Status("ok", details={"venv": str(VENV),
                                         "install_seconds": round(time.perf_counter() - started, 1)})


def _run(args: list[str], env: dict, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 1, "", f"ERROR: {' '.join(args[:4])} ... "
                                                        f"took longer than {timeout} s")
    except OSError as exc:
        return subprocess.CompletedProcess(args, 1, "", f"ERROR: {exc}")


def _error_line(result: subprocess.CompletedProcess) -> str:
    """pip's first ``ERROR:`` line, else the last line it printed."""
    lines = [line.strip() for line in (result.stderr + "\n" + result.stdout).splitlines()
             if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or [f"exit status {result.returncode}"])[0 if errors else -1][:300]


class Worker:
    """One long-lived ``libmaas_worker.py`` process in the libmaas venv."""

    def __init__(self, python: Path, env: dict):
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen([str(python), str(HERE / "libmaas_worker.py")],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr, text=True, env=env)
        hello = self._read()
        self.version, self.python = hello.get("version", "?"), hello.get("python", "?")

    def call(self, **command) -> dict:
        """Send one command; its answer, or LibmaasError with libmaas's own error line."""
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def seconds(self, **command) -> float:
        return self.call(**command)["seconds"]

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=30)
            raise LibmaasError(self._stderr_tail() or f"the libmaas worker exited "
                                                      f"({self.process.returncode})")
        answer = json.loads(line)
        if "error" in answer:
            raise LibmaasError(answer["error"])
        return answer

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        lines = [line.strip() for line in self._stderr.read().splitlines() if line.strip()]
        return lines[-1][:300] if lines else ""

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()


class Libmaas:
    """The run's libmaas: installed once, one worker per use; remembers why it is missing."""

    def __init__(self, enabled: bool, env: dict, log=print):
        self.enabled, self.env, self.log = enabled, env, log
        self._python: Path | None = None
        self.status = Status("skipped", "--no-libmaas given") if not enabled else None

    def worker(self) -> Worker | None:
        """A fresh worker, or None (``status`` then says why)."""
        if self.status is not None and self.status.status != "ok":
            return None
        if self._python is None:
            self._python, self.status = ensure_installed(self.env, self.log)
            if self._python is None:
                self.log(f"python-libmaas unavailable ({self.status.stage}): {self.status.reason}")
                return None
        try:
            worker = Worker(self._python, self.env)
        except LibmaasError as exc:
            self.status = Status("unavailable", str(exc), "import")
            self.log(f"python-libmaas does not import here: {exc}")
            return None
        self.status.details.update(version=worker.version, python=worker.python)
        return worker

    def failed(self, stage: str, error: Exception) -> str:
        """Record that libmaas failed at ``stage``; the reason for the skipped rows."""
        reason = f"python-libmaas {stage} failed: {error}"
        self.status.details.setdefault("failures", []).append(reason)
        self.log(reason)
        return reason

    def why_not(self) -> str:
        status = self.status
        if status is None:
            return "python-libmaas was not tried"
        return status.reason if status.status == "skipped" else \
            f"python-libmaas unavailable ({status.stage}): {status.reason}"
