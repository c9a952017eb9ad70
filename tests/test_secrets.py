"""The secret audit: a recognisable token secret (the canary) goes through the client, the
magic, the widgets, every kind of error, DEBUG logging, the example notebooks and a part of
the test suite; it must show up nowhere: not in an output, a repr, a log record, an
exception's text or traceback, a widget's state, a file other than the profile store, or a
notebook.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

import ipywidgets
import nbformat
import pytest
import trustme
from IPython.core.interactiveshell import InteractiveShell
from ipywidgets.embed import embed_data

from maas_notebook import Client, MAASError, connect, widgets
from maas_notebook.errors import DeployFailed, TimeoutError as MAASTimeout
from maas_notebook.profiles import DescribeCache, Profile, find_profile, list_profiles
from maas_notebook.sandbox import Sandbox
from maas_notebook.transport import Credentials, Transport
from maas_notebook.waiters import deploy_many, wait
from tests.fakeserver import Answer, FakeServer, fake_server  # noqa: F401 - a fixture
from tests.secret_canary import MARK
from tests.test_notebooks import MACHINES, NAMES, NOTEBOOKS, kernel_path, run  # noqa: F401

PROJECT = Path(__file__).resolve().parents[1]
CANARY = f"{MARK}-7f3a9c2e1b5d4e6f"
KEY = f"ckcanary0123456789:tkcanary0123456789:{CANARY}"
WRONG_KEY = f"ckcanary0123456789:tkcanary0123456789:{MARK}-wrong-one"
#: Anything shaped like a MAAS API key: three colon-separated runs of key characters.
KEY_LIKE = re.compile(r"\b[A-Za-z0-9]{8,}:[A-Za-z0-9]{8,}:[A-Za-z0-9-]{16,}\b")


class Seen:
    """Every text the audit has gathered, with where it came from."""

    def __init__(self):
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, *objects) -> None:
        for thing in objects:
            self.texts.append((where, thing if isinstance(thing, str) else repr(thing)))
            if not isinstance(thing, str):
                self.texts.append((where + " (str)", str(thing)))

    def error(self, where: str, exc: BaseException, frames: bool = True) -> None:
        self.add(where, exc)
        if frames:  # what %tb or a debugger would show
            self.add(where + " traceback", "".join(traceback.format_exception(exc)))
        for name in ("body", "url", "failures", "pending"):
            if hasattr(exc, name):
                self.add(f"{where}.{name}", getattr(exc, name))

    def leaks(self) -> list[str]:
        return [f"{where}: ...{text[max(0, text.find(MARK) - 80):text.find(MARK) + 40]}..."
                for where, text in self.texts if MARK in text]


@pytest.fixture
def seen(caplog, capsys):
    """The gathered texts; at the end, with every log record (DEBUG and up, every logger)
    and everything printed, checked for the canary."""
    caplog.set_level(logging.DEBUG)
    gathered = Seen()
    yield gathered
    out = capsys.readouterr()
    gathered.add("stdout", out.out)
    gathered.add("stderr", out.err)
    for record in caplog.records:
        gathered.add(f"log {record.name}", record.getMessage())
        gathered.add(f"log {record.name} args", repr(record.args))
    assert len(gathered.texts) > 10
    assert not gathered.leaks(), "\n".join(gathered.leaks())


@pytest.fixture
def canary_maas():
    with Sandbox(machines=12, deploy_seconds=0.3, seed=4, api_key=KEY) as sb:
        yield sb


def home_files_without_the_profile_store() -> list[str]:
    """The text of every file under the (test's) HOME but the profile store, which holds
    keys by design (mode 0600): the describe cache, CA files, IPython's ..."""
    home = Path.home()
    store = home / ".config" / "maas-notebook" / "profiles.json"
    return [path.read_text(errors="replace") for path in home.rglob("*")
            if path.is_file() and path != store]


def test_the_client_errors_and_debug_logs_never_show_the_secret(canary_maas, seen, monkeypatch):
    client = Client(canary_maas.url, KEY)  # with the describe cache on disk
    ready = [m["system_id"] for m in client.machines.read(status="ready")]
    seen.add("calls", client.users.whoami(), client.machines.read(), client.zones.read())
    seen.add("reprs", client, client._transport, client._transport._auth, client.description,
             Credentials.parse(KEY), client.handlers, *client.machine.actions.values(),
             client.machine.deploy.__signature__, client.machine.deploy.__doc__)
    monkeypatch.setenv("MAAS_URL", canary_maas.url)
    monkeypatch.setenv("MAAS_API_KEY", KEY)
    seen.add("profile", find_profile(), connect(), Profile("p", canary_maas.url, KEY))
    # the sandbox's own objects
    seen.add("sandbox", canary_maas, canary_maas.state, canary_maas.state.users,
             canary_maas.state.machines, canary_maas.faults, canary_maas.description,
             list(canary_maas.log), canary_maas._dispatcher.authenticator)
    # a deploy that fails, and one refused
    canary_maas.state.fail_next(ready[1])
    with pytest.raises(DeployFailed) as failed:
        deploy_many(client, ready[:2], progress=False, interval=0.1, timeout=30)
    seen.error("DeployFailed", failed.value)
    with pytest.raises(MAASError) as refused:
        deploy_many(client, ready[:1], progress=False, interval=0.1, timeout=30)
    seen.error("refused", refused.value)
    # 401 from a wrong secret, 404, 400, a parameter error, a timeout
    for call in (lambda: Client(canary_maas.url, WRONG_KEY, cache=False).users.whoami(),
                 lambda: client.machine.read("nosuch"),
                 lambda: client.machines.read(cpu_count="many"),
                 lambda: client.machine.read("\udcff"),
                 lambda: wait(client, [ready[2]], timeout=0, interval=0.01)):
        with pytest.raises(MAASError) as caught:
            call()
        seen.error(type(caught.value).__name__, caught.value)
    seen.add("files", *home_files_without_the_profile_store())


def test_tls_and_timeout_errors_never_show_the_secret(seen, fake_server):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # signed by a stranger
    with FakeServer(ssl_context=context) as tls:
        with pytest.raises(MAASError) as caught:
            Client(tls.maas_url, KEY, cacerts=ca.cert_pem.bytes().decode(), retries=0)
        seen.error("TLS", caught.value)
    fake_server.queue(Answer(200, {}, delay=1.0))
    with pytest.raises(MAASTimeout) as caught:
        Transport(fake_server.maas_url, Credentials.parse(KEY), timeout=(2, 0.2)).request(
            "GET", fake_server.maas_url + "/api/2.0/users/", op="whoami")
    seen.error("timeout", caught.value)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MAASError) as caught:
        Client(f"http://127.0.0.1:{port}/MAAS", KEY, retries=0)
    seen.error("refused", caught.value)
    # what did reach a server: the secret only ever in the Authorization header
    fake_server.queue(Answer(401, "Authorization Error: 'Invalid signature.'"))
    with pytest.raises(MAASError) as caught:
        Transport(fake_server.maas_url, Credentials.parse(KEY)).request(
            "POST", fake_server.maas_url + "/api/2.0/machines/", op="allocate", data=[("x", "y")])
    seen.error("401", caught.value)
    for request in fake_server.requests:
        assert CANARY in request.headers["Authorization"]
        sent = request.path + repr(request.query) + request.body.decode(errors="replace")
        assert MARK not in sent


def test_the_magic_and_widgets_never_show_the_secret(canary_maas, seen, monkeypatch):
    monkeypatch.setenv("MAAS_URL", canary_maas.url)
    monkeypatch.setenv("MAAS_API_KEY", KEY)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": KEY)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "maas_notebook")
    client = Client(canary_maas.url, KEY, cache=False)
    ready = [m["system_id"] for m in client.machines.read(status="ready")]
    try:
        for traceback_on in (False, True):
            ip.run_line_magic("config", f"MaasMagic.traceback = {traceback_on}")
            # A full traceback quotes the cell's source, so a key typed on the line itself
            # shows there, as it does in the cell: those lines only run without tracebacks.
            typed = [] if traceback_on else [f"login lab {canary_maas.url} {KEY}",
                                             f"login bad {canary_maas.url} {WRONG_KEY}"]
            for line in [*typed, f"login typed {canary_maas.url} -", "profiles", "use lab",
                         "users whoami", "machines read", "machine read nosuch", "lab zones read",
                         "machine deploy --help", "--help", "refresh", "logout typed",
                         f"machine deploy {ready[0]} --form", "machine read \udcff"]:
                outcome = ip.run_cell(f"%maas {line}", store_history=False)
                seen.add(f"%maas {line}", outcome.result, outcome.error_in_exec)
                if isinstance(outcome.result, ipywidgets.Widget):
                    seen.add(f"%maas {line} state", json.dumps(embed_data(views=[outcome.result])))
                if outcome.error_in_exec is not None:  # frames quote the line: see above
                    seen.error(f"%maas {line} error", outcome.error_in_exec,
                               frames=line not in typed)
        table = ip.run_line_magic("maas", "profiles")
        seen.add("profiles table", table.to_string(), table.to_html(), list_profiles())
        form = widgets.form(client.machine.deploy, system_id="nosuch")
        form.submit()
        console = widgets.deploy(client, interval=0.1, timeout=30)
        canary_maas.state.fail_next(ready[2])
        console.select(ready[1:3]).deploy()
        console.join(timeout=30)
        seen.add("widgets", form, form.error, console, console.failures, widgets.help(
            client.machine.deploy))
        seen.add("widget state", json.dumps(embed_data(views=[form, console])))
    finally:
        ip.run_line_magic("config", "MaasMagic.traceback = False")
        ip.run_line_magic("unload_ext", "maas_notebook")
    seen.add("files", *home_files_without_the_profile_store())


# -- notebooks -------------------------------------------------------------------------------

def test_stored_notebooks_hold_no_key_nor_output():
    for name in NAMES:
        text = (NOTEBOOKS / name).read_text()
        assert MARK not in text and not KEY_LIKE.search(text), name


@pytest.fixture
def sandbox(monkeypatch, tmp_path):
    """The notebooks' sandbox (test_notebooks' ``run`` uses it), with the canary key; its
    kernels log at DEBUG to stderr, so log records land in the notebook's outputs too."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-debug-logging.py").write_text(
        "import logging, sys\nlogging.basicConfig(level=logging.DEBUG, stream=sys.stderr)\n")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    generated = Sandbox(machines=MACHINES, seed=0)  # the same failing machines as the demo's
    faulty = [m.hostname for m in generated.state.machines.values()
              if m.status == "FAILED_DEPLOYMENT"]
    with Sandbox(machines=MACHINES, deploy_seconds=0.5, seed=0, api_key=KEY,
                 fail_machines=faulty) as sb:
        yield sb


def test_executed_notebooks_never_show_the_secret(run):
    logged = 0
    for name in NAMES:
        executed = nbformat.writes(run(name))  # run() fails on a failing cell
        assert MARK not in executed, name
        logged += executed.count("DEBUG:maas_notebook.transport")
    assert logged > 10  # the kernels really logged every request


# -- the suite itself, with canary keys ------------------------------------------------------

def pytest_run(*args: str, timeout: float = 150) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.secret_canary", "-o", "log_level=DEBUG",
         "-p", "no:cacheprovider", "-q", *args],
        cwd=PROJECT, capture_output=True, text=True, timeout=timeout)


def test_the_canary_plugin_catches_a_leak(tmp_path):
    leaky = tmp_path / "test_leaky.py"
    leaky.write_text(
        "import logging\nfrom maas_notebook.sandbox import Sandbox\n\n"
        "def test_prints():\n    print(Sandbox(machines=1).api_key)\n\n"
        "def test_logs():\n"
        "    logging.getLogger('x').debug(Sandbox(machines=1).api_key_for('ops'))\n\n"
        "def test_quiet():\n    assert Sandbox(machines=1).api_key\n")
    done = pytest_run(str(leaky), "--rootdir", str(PROJECT), timeout=60)
    assert "2 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    assert "Captured stdout call" in done.stdout and "Captured log call" in done.stdout


def test_part_of_the_suite_runs_clean_with_canary_keys():
    """The magic, waiter and widget tests, every sandbox key a canary, logs at DEBUG. The
    whole suite runs the same way with ``python -m pytest -p tests.secret_canary -o
    log_level=DEBUG``."""
    done = pytest_run("tests/test_magic.py", "tests/test_waiters.py", "tests/test_widgets.py",
                      "tests/test_sandbox_client.py")
    assert done.returncode == 0 and " passed" in done.stdout, done.stdout[-3000:] + done.stderr
