"""``maas-notebook demo``: the sandbox MAAS and JupyterLab with the example notebooks.

::

    python3 run.py demo                       # creates .venv with the lab extra, then runs this
    maas-notebook demo [--port 5240] [--lab-port 8888] [--machines 40] [--deploy-seconds 10]

Starts a sandbox MAAS on 127.0.0.1 (port 5240 when it is free, else any free port) and
JupyterLab on 127.0.0.1 with ``notebooks/`` as its root. ``MAAS_URL`` and ``MAAS_API_KEY``
are put in JupyterLab's environment, which its kernels inherit, so every notebook's
``connect()`` reaches the sandbox and no key is ever written into a notebook. Prints the URL
to open (with its token) and runs until Ctrl-C, which stops JupyterLab and the sandbox.

The sandbox is :func:`notebook_sandbox`: its machines that start in *Failed deployment*
fail every deploy again (a hardware fault), so ``03-deploy.ipynb`` can show a failure
explained. The tests run the notebooks against the same kind of sandbox.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from .sandbox import Sandbox

#: The project's notebooks, beside the package in a source checkout.
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
LAB_START_SECONDS = 90.0
STOP_SECONDS = 15.0


def notebook_sandbox(machines: int = 40, deploy_seconds: float = 10.0, seed: int = 0,
                     port: int = 0) -> Sandbox:
    """A sandbox (not started) for the notebooks: the machines generated in Failed deployment
    fail every later deploy too, as a machine with a broken disk would."""
    generated = Sandbox(machines=machines, seed=seed)  # never started: only its inventory
    faulty = [machine.hostname for machine in generated.state.machines.values()
              if machine.status == "FAILED_DEPLOYMENT"]
    return Sandbox(machines=machines, deploy_seconds=deploy_seconds, seed=seed, port=port,
                   fail_machines=faulty)


def free_port(preferred: int = 0) -> int:
    """``preferred`` when nothing listens on it at 127.0.0.1, else a free port."""
    for port in ((preferred, 0) if preferred else (0,)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError("no free port on 127.0.0.1")


def write_kernelspec(directory: Path) -> Path:
    """A ``python3`` kernelspec running *this* Python, under ``directory/kernels``.

    Put ``directory`` first in ``JUPYTER_PATH``: it then wins over any other ``python3``
    kernel (a user's ``~/.local/share/jupyter`` one, say), so kernels can import this package.
    """
    spec = directory / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
        "metadata": {"debugger": True}}, indent=1))
    return directory


def lab_command(port: int, token: str, root_dir: Path) -> list[str]:
    """The JupyterLab command line: loopback only, no browser, nothing fetched from outside."""
    return [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root_dir}",
            f"--IdentityProvider.token={token}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])]


def lab_environment(sandbox: Sandbox, jupyter_path: Path, base: dict | None = None) -> dict:
    """JupyterLab's environment, inherited by its kernels: where the MAAS is, and our kernel."""
    env = dict(os.environ if base is None else base)
    for name in ("MAAS_API_URL", "MAAS_CACERT", "MAAS_PROFILE"):  # nothing may outrank ours
        env.pop(name, None)
    env["MAAS_URL"], env["MAAS_API_KEY"] = sandbox.url, sandbox.api_key
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), env.get("JUPYTER_PATH")]))
    return env


def wait_for_lab(process: subprocess.Popen, port: int, token: str,
                 timeout: float = LAB_START_SECONDS) -> bool:
    """True once JupyterLab answers its status API; False if it exited or took too long."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status",
                                     headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with opener.open(request, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def stop_process(process: subprocess.Popen, seconds: float = STOP_SECONDS) -> None:
    """SIGTERM (JupyterLab then shuts its kernels down cleanly), SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def register(subparsers) -> None:
    """Add the ``demo`` subcommand to the ``maas-notebook`` command line."""
    parser = subparsers.add_parser(
        "demo", help="run the sandbox MAAS and JupyterLab with the example notebooks",
        description="Start a sandbox MAAS and JupyterLab (both on 127.0.0.1) with the example "
                    "notebooks; kernels find the sandbox through MAAS_URL and MAAS_API_KEY. "
                    "Prints the URL to open and runs until interrupted (Ctrl-C).")
    parser.add_argument("--port", type=int, default=5240,
                        help="sandbox port, when free (else any free one; default %(default)s)")
    parser.add_argument("--lab-port", type=int, default=8888,
                        help="JupyterLab port, when free (else any free one; default %(default)s)")
    parser.add_argument("--machines", type=int, default=40,
                        help="machines in the sandbox (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the generated inventory (default %(default)s)")
    parser.add_argument("--deploy-seconds", type=float, default=10.0,
                        help="how long a deploy takes (default %(default)s)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS,
                        help="folder JupyterLab opens (default: the project's notebooks/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start both, print how to reach them, wait for Ctrl-C (or SIGTERM), stop both."""
    notebooks = args.notebooks.resolve()
    if not notebooks.is_dir():
        return _fail(f"no notebooks folder at {notebooks} (give one with --notebooks)")
    if importlib.util.find_spec("jupyterlab") is None:
        return _fail("JupyterLab is not installed: pip install 'maas-notebook[lab]' "
                     "(python3 run.py demo does that for you)")
    signal.signal(signal.SIGTERM, _interrupt)  # a terminate stops both, as Ctrl-C does
    sandbox = notebook_sandbox(args.machines, args.deploy_seconds, args.seed,
                               free_port(args.port))
    try:
        sandbox.start()
    except OSError as exc:
        return _fail(f"cannot start the sandbox on port {sandbox.port}: {exc.strerror or exc}")
    work = Path(tempfile.mkdtemp(prefix="maas-notebook-demo-"))
    log = (work / "jupyterlab.log").open("wb")
    process = None
    try:
        port, token = free_port(args.lab_port), secrets.token_hex(24)
        # stdin is not a terminal, so JupyterLab never asks "Shutdown this server (y/[n])?";
        # it stays in our process group, so a Ctrl-C in the terminal reaches it as well.
        process = subprocess.Popen(lab_command(port, token, notebooks), stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   env=lab_environment(sandbox, write_kernelspec(work)))
        if not wait_for_lab(process, port, token):
            print((work / "jupyterlab.log").read_text(errors="replace")[-4000:], file=sys.stderr)
            return _fail("JupyterLab did not start (its log is above)")
        _banner(sandbox, args, port, token, notebooks)
        while process.poll() is None:  # not process.wait(): it holds a Ctrl-C back for 0.25 s
            time.sleep(0.2)
        print("JupyterLab has stopped; stopping the sandbox.", flush=True)
        return 0
    except KeyboardInterrupt:
        print("\nstopping JupyterLab and the sandbox ...", flush=True)
        return 0
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):  # nothing may cut the cleanup short
            signal.signal(signum, signal.SIG_IGN)
        if process is not None:
            stop_process(process)
        sandbox.stop()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
        print("stopped.", flush=True)


def _banner(sandbox: Sandbox, args, port: int, token: str, notebooks: Path) -> None:
    start = "lab/tree/01-quickstart.ipynb" if (notebooks / "01-quickstart.ipynb").is_file() else "lab"
    print(f"MAAS sandbox: {sandbox.url}  ({args.machines} machines; deploys take about "
          f"{args.deploy_seconds:g} s)\n"
          f"  admin API key (for the maas CLI; the notebooks read it from their environment):\n"
          f"  {sandbox.api_key}\n"
          f"JupyterLab on {notebooks}:\n"
          f"  http://127.0.0.1:{port}/{start}?token={token}\n"
          f"Press Ctrl-C to stop both.", flush=True)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"maas-notebook demo: {message}", file=sys.stderr)
    return 2
