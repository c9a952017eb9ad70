"""The example notebooks, run top to bottom by nbclient against a sandbox MAAS, and the demo.

Each notebook runs in a fresh sandbox like the demo's (machines that start in Failed
deployment fail again), with ``MAAS_URL`` / ``MAAS_API_KEY`` in the kernel's environment and
a ``python3`` kernelspec that runs this interpreter. Key cells carry tags; the assertions read
what those cells printed or displayed, and check the sandbox behind them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from maas_notebook import Client
from maas_notebook.demo import lab_environment, notebook_sandbox, write_kernelspec
from maas_notebook.waiters import is_failure

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["01-quickstart.ipynb", "02-inventory-analysis.ipynb", "03-deploy.ipynb",
         "04-api-tour.ipynb"]
MACHINES = 24  # from 20 up every status occurs, so there is a machine in Failed deployment
CELL_SECONDS = 120


# -- running notebooks -------------------------------------------------------------------

@pytest.fixture
def sandbox():
    """A fresh sandbox for each notebook, with quick deploys."""
    with notebook_sandbox(machines=MACHINES, deploy_seconds=0.5, seed=0) as running:
        yield running


@pytest.fixture
def kernel_path(tmp_path, monkeypatch) -> Path:
    """A ``python3`` kernelspec running this interpreter, first on JUPYTER_PATH (here, where
    nbclient looks it up, and in the kernel's environment)."""
    path = write_kernelspec(tmp_path / "jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(path))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.argv[0] == sys.executable, f"python3 kernel runs {spec.argv[0]}, not {sys.executable}"
    return path


@pytest.fixture
def run(sandbox, kernel_path, tmp_path):
    """``run(name)``: the notebook executed against ``sandbox``; a failing cell fails the test
    with its output, and the executed notebook is kept in tmp_path to look at."""
    env = lab_environment(sandbox, kernel_path)
    env["MPLCONFIGDIR"] = str(tmp_path / "matplotlib")

    def execute(name: str) -> nbformat.NotebookNode:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        client = NotebookClient(notebook, kernel_name="python3", timeout=CELL_SECONDS,
                                startup_timeout=60, resources={"metadata": {"path": str(tmp_path)}})
        try:
            client.execute(env=env)
        except CellExecutionError as exc:
            pytest.fail(f"{name} failed (executed copy: {tmp_path / name}):\n{exc}")
        finally:
            nbformat.write(notebook, tmp_path / name)
        leaked = [secret for secret in (sandbox.api_key, sandbox.api_key.split(":")[2])
                  if secret in nbformat.writes(notebook)]
        assert not leaked, f"{name}: the API key appears in the executed notebook"
        return notebook
    return execute


def tagged(notebook, tag: str) -> list[dict]:
    """The outputs of the one cell tagged ``tag``."""
    cells = [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0].outputs


def text(notebook, tag: str) -> str:
    """Everything the tagged cell printed or displayed as text (stream, plain text, HTML)."""
    parts = []
    for output in tagged(notebook, tag):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def printed(notebook, tag: str) -> str:
    """What the tagged cell printed."""
    return "".join(output.text for output in tagged(notebook, tag) if output.output_type == "stream")


def number(pattern: str, notebook, tag: str) -> int:
    found = re.search(pattern, text(notebook, tag))
    assert found, f"{pattern!r} not in the output of {tag!r}:\n{text(notebook, tag)[:2000]}"
    return int(found.group(1).replace(",", ""))


def admin(sandbox) -> Client:
    return Client(sandbox.url, sandbox.api_key, cache=False)


# -- the notebooks as stored -------------------------------------------------------------

def test_the_four_notebooks_are_stored_without_outputs_or_secrets():
    assert sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")) == NAMES
    for name in NAMES:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(notebook)
        assert notebook.metadata.kernelspec.name == "python3"
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(not cell.outputs and cell.execution_count is None for cell in code), \
            f"{name} is stored with outputs: clear them before committing"
        source = "\n".join(cell.source for cell in notebook.cells)
        assert "connect()" in source and "Client(" not in source, f"{name} must use connect() only"
        assert not re.search(r"\b\w{18}:\w{18}:\w{32}\b", source), f"{name} holds an API key"
        assert not re.search(r"MAAS_API_KEY\s*=|api_key\s*=", source.replace(
            "export MAAS_API_KEY=$(maas apikey", "")), f"{name} sets a key itself"


# -- each notebook, executed -------------------------------------------------------------

def test_quickstart(run, sandbox):
    client = admin(sandbox)
    ready_before = len(client.machines.read(status="ready"))  # commissioning ends meanwhile
    notebook = run("01-quickstart.ipynb")
    assert "'username': 'admin'" in text(notebook, "whoami")
    assert client.users.whoami()["username"] == "admin"
    assert "distro_series" in text(notebook, "help") and "usage: %maas machine deploy" in text(notebook, "help")
    ready = number(r"(\d+) machines are Ready", notebook, "ready-listing")
    assert 0 < ready_before <= ready <= len(client.machines.read(status="ready"))
    error, = tagged(notebook, "error-one-line")
    assert error.output_type == "error" and error.ename == "NotFound"
    assert len(error.traceback) == 1 and "404 Not Found" in error.traceback[0], error.traceback
    assert "did you mean deploy?" in text(notebook, "typo")
    assert "same machines both ways: True" in text(notebook, "side-by-side")
    assert "NotFound: HTTP 404" in text(notebook, "python-error")


def test_inventory_analysis(run, sandbox):
    notebook = run("02-inventory-analysis.ipynb")
    machines = admin(sandbox).machines.read()
    assert number(r"(\d+) machines:", notebook, "inventory") == len(machines) == MACHINES
    cores = sum(machine["cpu_count"] for machine in machines)
    assert number(r"machines: ([\d,]+) cores", notebook, "inventory") == cores
    for status in {machine["status_name"] for machine in machines}:
        assert status in text(notebook, "by-status")
    nics = sum(len(machine["interface_set"]) for machine in machines)
    assert number(r"(\d+) interfaces on", notebook, "interfaces") == nics
    disks = sum(len(machine["blockdevice_set"]) for machine in machines)
    assert number(r"(\d+) disks", notebook, "disks") == disks
    trouble = [machine for machine in machines if is_failure(machine["status_name"])]
    assert number(r"(\d+) machine\(s\) need attention", notebook, "trouble") == len(trouble) > 0
    for machine in trouble:  # each with its events
        assert machine["hostname"] in text(notebook, "trouble-events")
        assert machine["error_description"][:30] in text(notebook, "trouble-events")
    for plot in ("capacity-plot", "zone-plot"):
        images = [output.data["image/png"] for output in tagged(notebook, plot)
                  if "image/png" in output.get("data", {})]
        assert len(images) == 1 and len(base64.b64decode(images[0])) > 10_000, plot


def test_deploy(run, sandbox):
    faulty = sorted(machine.hostname for machine in sandbox.state.machines.values()
                    if machine.status == "FAILED_DEPLOYMENT")
    notebook = run("03-deploy.ipynb")
    client = admin(sandbox)
    assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
               for output in tagged(notebook, "console"))
    assert "3 of 3 machines Deployed" in text(notebook, "console-scripted")
    rounds = printed(notebook, "wait-deployed").splitlines()  # one summary per round of wait()
    assert rounds[-1] == "3 of 3 machines Deployed", rounds
    assert "'status_name': 'Deploying'" in text(notebook, "deploy-user-data")
    assert "1 of 1 machines Deployed" in text(notebook, "wait-one")
    # the failure, explained: DeployFailed's one line, then MAAS's reason and the events
    failure = text(notebook, "failure")
    assert f"{len(faulty)} machine(s) failed:" in failure and "Failed deployment:" in failure
    explained = text(notebook, "failure-explained")
    for hostname in faulty:
        assert hostname in failure and f"{hostname} (" in explained
        machine, = client.machines.read(hostname=hostname)
        assert machine["status_name"] == "Failed deployment"
        assert f"MAAS says: {machine['status_message']}" in explained
    assert explained.count("  event: ") >= 2 * len(faulty)  # the machine's last events
    assert "Failed deployment" in text(notebook, "failure-timeline")
    # the release with erase: all seven machines the notebook deployed are Ready again
    assert "7 of 7 machines Ready" in text(notebook, "release")
    assert "Erasing disk" in text(notebook, "release-events")
    deployed = {sid for (sid, action), count in sandbox.machine_requests.items() if action == "deploy"}
    assert len(deployed) == 7 + len(faulty)
    assert all(count == 1 for (sid, action), count in sandbox.machine_requests.items()
               if action == "deploy"), "a machine was asked to deploy twice"
    for machine in client.machines.read(id=sorted(deployed)):
        expected = "Failed deployment" if machine["hostname"] in faulty else "Ready"
        assert machine["status_name"] == expected, machine["hostname"]


def test_api_tour(run, sandbox):
    notebook = run("04-api-tour.ipynb")
    client = admin(sandbox)
    handlers = len(client.description)
    actions = sum(len(handler.actions) for handler in client.description)
    assert f"{handlers} handlers with {actions} actions" in text(notebook, "handlers")
    for handler in client.description:
        assert handler.cli_name in text(notebook, "handlers")
    assert "Allocate a machine" in text(notebook, "allocate-help")
    assert "quick_erase" in text(notebook, "release-help")
    for tag in ("help-widget", "deploy-form", "allocate-form", "tag-form"):
        assert any("application/vnd.jupyter.widget-view+json" in output.get("data", {})
                   for output in tagged(notebook, tag)), tag
    assert "it is still Ready" in text(notebook, "allocate-submit")
    assert "'name': 'notebook-tour'" in text(notebook, "tag-submit")
    tagged_machines = text(notebook, "cell-magic")
    for machine in client.machines.read(status="ready")[:2]:
        assert machine["hostname"] in tagged_machines
    assert "notebook-tour" not in {tag["name"] for tag in client.tags.read()}  # cleaned up
    warnings = [output.text for cell in notebook.cells for output in cell.get("outputs", [])
                if output.get("name") == "stderr" and "Warning" in output.text]
    assert not warnings, warnings


# -- the demo command ----------------------------------------------------------------------

class Demo:
    """``python -m maas_notebook demo`` in its own process group, as a terminal runs it;
    ``stop()`` is a Ctrl-C (SIGINT to the whole group)."""

    BANNER = re.compile(r"MAAS sandbox: (?P<maas>\S+) .*?\n\s+(?P<key>\w+:\w+:\w+)\n.*?"
                        r"(?P<lab>http://127\.0\.0\.1:\d+)/\S*\?token=(?P<token>\w+)", re.S)

    def __init__(self, notebooks: Path, home: Path, *options: str):
        env = {key: value for key, value in os.environ.items() if not key.startswith("MAAS_")}
        env.update(HOME=str(home), MPLCONFIGDIR=str(home / "matplotlib"), PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "maas_notebook", "demo", "--port", "0", "--lab-port", "0",
             "--notebooks", str(notebooks), *options],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env, start_new_session=True)
        self.output = ""
        while "Press Ctrl-C" not in self.output:
            line = self.process.stdout.readline()  # the demo gives up on JupyterLab after 90 s
            if not line:
                self.stop()
                pytest.fail(f"the demo did not start:\n{self.output}\n{self.process.stderr.read()}")
            self.output += line
        found = self.BANNER.search(self.output)
        assert found, self.output
        self.maas_url, self.api_key = found["maas"], found["key"]
        self.lab, self.token = found["lab"], found["token"]

    def stop(self, timeout: float = 30) -> tuple[int, str, str]:
        """Ctrl-C; returns (exit status, the rest of stdout, stderr)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            out, err = self.process.communicate()
            pytest.fail(f"the demo did not stop within {timeout} s on Ctrl-C:\n{out}\n{err}")
        return self.process.returncode, out, err


def copy_notebooks(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        shutil.copy(NOTEBOOKS / name, target / name)
    return target


def test_demo_serves_the_notebooks_with_the_sandbox_and_stops_on_ctrl_c(tmp_path):
    pytest.importorskip("jupyterlab", reason="the demo needs the lab extra")
    started = time.monotonic()
    demo = Demo(copy_notebooks(tmp_path / "notebooks"), tmp_path / "home", "--machines", "20")
    try:
        assert demo.maas_url.startswith("http://127.0.0.1:") and demo.lab.startswith("http://127.0.0.1:")
        assert Client(demo.maas_url, demo.api_key, cache=False).users.whoami()["username"] == "admin"
        auth = {"Authorization": f"token {demo.token}"}
        contents = requests.get(f"{demo.lab}/api/contents", headers=auth, timeout=10).json()
        assert sorted(item["name"] for item in contents["content"]) == NAMES
        specs = requests.get(f"{demo.lab}/api/kernelspecs", headers=auth, timeout=10).json()
        assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable
        assert requests.get(f"{demo.lab}/api/status", timeout=10).status_code == 403  # token needed
    finally:
        status, out, err = demo.stop()
    assert status == 0 and "stopped." in out and "Traceback" not in out + err, (out, err)
    for url in (demo.maas_url, demo.lab):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
    assert time.monotonic() - started < 60
