"""Bad input: every mistake gives ONE clear line (no newline in the message, the secret never
echoed) and has no partial effect: nothing is sent when nothing should be, nothing is saved
or cached. Ends with property-based tests (hypothesis): random ``%maas`` lines and random
parameter dicts only ever raise ``UsageError`` / ``MAASError``.

Single-request transport errors already tested in test_transport.py (each status code, the
unknown CA, connect and read timeouts ...) are not repeated here.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import ssl
import threading
import time
import warnings

import pytest
import requests
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from maas_notebook import Client, MAASError
from maas_notebook.errors import (ConfigurationError, ConnectError, HTTPError, NotFound,
                                  ParameterError, ResponseError, ServerError, TLSError,
                                  UnknownNameError)
from maas_notebook.profiles import DescribeCache, list_profiles
from maas_notebook.sandbox import Sandbox
from maas_notebook.waiters import deploy_many
from tests.describe_doc import describe_doc
from tests.fakeserver import Answer, FakeServer, fake_server  # noqa: F401 - a fixture

SECRET = "bad-input-token-secret-4f1d"
KEY = f"ck:tk:{SECRET}"
TEN_MB = 10 * 1024 * 1024


def one_line(error: BaseException, limit: int = 600) -> str:
    """The error's message, checked to be one clear line that does not leak the secret."""
    text = str(error)
    assert text.strip() and "\n" not in text and "\r" not in text, repr(text)
    assert len(text) <= limit, f"{len(text)} characters: {text[:300]}..."
    assert SECRET not in text and SECRET not in repr(error)
    return text


def cached_descriptions() -> list:
    folder = DescribeCache().directory
    return list(folder.iterdir()) if folder.exists() else []


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(machines=8, deploy_seconds=0.3, seed=2) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    return Client(sandbox.url, sandbox.api_key, cache=False)


@pytest.fixture
def no_requests(monkeypatch):
    """Fail the test if anything tries to send a request."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a request was sent: {args[1:3]}")
    monkeypatch.setattr(requests.Session, "request", refuse)


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the URL and the API key ---------------------------------------------------------------

@pytest.mark.parametrize("key", [
    "no-colons", "ck:tk", "ck:tk:ts:extra", "ck::" + SECRET, ":tk:" + SECRET, "ck:tk:",
    "ck tk:x:" + SECRET, "ck:tk:" + SECRET + "\n", b"ck:tk:" + SECRET.encode(), 12345,
    ["ck", "tk", SECRET]])
def test_a_malformed_api_key_is_one_line_and_nothing_is_sent(key, fake_server):
    with pytest.raises(ConfigurationError) as caught:
        Client(fake_server.maas_url, key, cache=False)
    assert "consumer_key:token_key:token_secret" in one_line(caught.value)
    assert fake_server.requests == [] and cached_descriptions() == []


@pytest.mark.parametrize("url", [
    "", "   ", "10.0.0.2:5240/MAAS", "ftp://10.0.0.2/MAAS", "http://", "http://:5240/MAAS",
    "http://10.0.0.2:port/MAAS", "http://10.0.0.2:99999/MAAS", "http://10.0.0.2/MAAS?op=x",
    "http://10.0.0.2/MAAS#top", "http://10.0.0.2 /MAAS", "http://10.0.\n0.2/MAAS", None, 42,
    b"http://10.0.0.2/MAAS", KEY])
def test_a_malformed_url_is_one_line_and_nothing_is_sent(url, no_requests):
    with pytest.raises(ConfigurationError) as caught:
        Client(url, KEY, cache=False)
    assert "http" in one_line(caught.value)  # says what a MAAS URL looks like


def test_an_unreachable_host_is_one_line_within_a_bounded_time(closed_port):
    started = time.monotonic()
    with pytest.raises(ConnectError) as caught:
        Client(f"http://127.0.0.1:{closed_port}/MAAS", KEY)  # default retries and cache
    elapsed = time.monotonic() - started
    assert "connection refused" in one_line(caught.value) and elapsed < 6  # 3 retries, backed off
    assert cached_descriptions() == []


# -- TLS -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def tls_server(cert):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return FakeServer(ssl_context=context)


@pytest.mark.parametrize("case, expected", [
    ("unknown CA", "unable to get local issuer certificate"),
    ("wrong host", "mismatch"),
    ("expired", "expired"),
    ("https to plain HTTP", "TLS failed"),
])
def test_tls_failures_are_one_line_and_leave_nothing_behind(case, expected, ca, fake_server):
    cacerts = ca.cert_pem.bytes().decode()
    if case == "https to plain HTTP":
        server, cacerts = None, None
        url = fake_server.maas_url.replace("http://", "https://")
    else:
        now, day = datetime.datetime.now(datetime.timezone.utc), datetime.timedelta(days=1)
        cert = {"unknown CA": lambda: trustme.CA().issue_cert("127.0.0.1"),
                "wrong host": lambda: ca.issue_cert("maas.example.org"),
                "expired": lambda: ca.issue_cert("127.0.0.1", not_before=now - 9 * day,
                                                 not_after=now - day)}[case]()
        server = tls_server(cert)
        url = server.maas_url
    try:
        with pytest.raises(TLSError) as caught:
            Client(url, KEY, cacerts=cacerts, retries=0)
    finally:
        if server:
            server.close()
    assert expected in one_line(caught.value) and "cacerts=" in str(caught.value)
    assert cached_descriptions() == [] and not fake_server.requests


def test_plain_http_to_a_tls_server_is_a_one_line_connect_error(ca):
    with tls_server(ca.issue_cert("127.0.0.1")) as server:
        with pytest.raises(ConnectError) as caught:
            Client(server.maas_url.replace("https://", "http://"), KEY, retries=0)
    one_line(caught.value)


# -- servers that answer nonsense -----------------------------------------------------------

@pytest.mark.parametrize("answer, kind, words", [
    (Answer(200, b'{"resources": [{"name": "machines", "anon": nu',
            {"Content-Type": "application/json"}), ResponseError, "claims JSON but is not"),
    (Answer(200, b'\xff\xfe{"resources": []}', {"Content-Type": "application/json"}),
     ResponseError, "claims JSON but is not"),
    (Answer(200, {"resources": "every one"}), ConfigurationError, "not return a MAAS API"),
    (Answer(200, {"resources": [{"name": "x", "auth": {"name": 7}}]}), ConfigurationError,
     "not return a MAAS API"),
    (Answer(200, []), ConfigurationError, "not return a MAAS API"),
    (Answer(502, "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>"
                 "502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
            {"Content-Type": "text/html"}), ServerError, "502 Bad Gateway"),
    (Answer(302, "", {"Location": "http://127.0.0.1/MAAS/accounts/login/"}), ResponseError,
     "moved it to"),
])
def test_a_describe_answer_that_is_not_maas_is_one_line(answer, kind, words, fake_server):
    fake_server.handler = lambda request: answer
    with pytest.raises(kind) as caught:
        Client(fake_server.maas_url, KEY, retries=0)
    assert words in one_line(caught.value)
    assert cached_descriptions() == []


def test_an_answer_cut_short_is_one_line():
    """The connection closes in the middle of the JSON (Content-Length promised more)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        for _ in range(4):  # the first try and three retries of the GET
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: 5000\r\n\r\n{\"resources\": [{\"na")
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConnectError) as caught:
            Client(f"http://127.0.0.1:{port}/MAAS", KEY)
    finally:
        listener.close()
    assert "cut short" in one_line(caught.value)
    assert cached_descriptions() == []


def test_a_cached_description_of_the_wrong_shape_is_fetched_again(sandbox):
    cache = DescribeCache()
    root = Client(sandbox.url, sandbox.api_key).url  # fills the cache
    cache.path_for(root).write_text(json.dumps({"resources": [{"auth": "garbage"}]}))
    client = Client(sandbox.url, sandbox.api_key)
    assert client.users.whoami()["username"] == "admin"
    assert cache.load(root)["resources"][0] != {"auth": "garbage"}


# -- names and parameters the server never sees ---------------------------------------------

def calls(client, strict):
    machine = client.machine
    return {
        "unknown handler": (lambda: client.machnes, UnknownNameError, "did you mean machines"),
        "unknown action": (lambda: machine.deplyo, UnknownNameError, "did you mean deploy"),
        "undeclared parameter, strict": (lambda: strict.machines.read(hostnme="x"),
                                         ParameterError, "did you mean hostname"),
        "missing URI parameter": (lambda: machine.read(), ParameterError, "missing"),
        "URI parameter None": (lambda: machine.read(None), ParameterError, "missing"),
        "empty URI parameter": (lambda: machine.read(""), ParameterError, "empty"),
        "surplus URI parameters": (lambda: machine.read("a", "b"), ParameterError, "positional"),
        "non-UTF-8 text value (GET)": (lambda: client.machines.read(hostname="caf\udce9"),
                                       ParameterError, "not valid text"),
        "non-UTF-8 text value (POST)": (lambda: machine.set_owner_data("abc", team="\udcff"),
                                        ParameterError, "not valid text"),
        "non-UTF-8 parameter name": (lambda: machine.set_owner_data("abc", **{"t\udcffam": "x"}),
                                     ParameterError, "not valid text"),
        "non-UTF-8 URI parameter": (lambda: machine.read("abc\udcff"), ParameterError,
                                    "not valid text"),
        "non-UTF-8 bytes in a GET": (lambda: client.machines.read(hostname=b"caf\xe9"),
                                     ParameterError, "cannot carry"),
        "an int too big to write": (lambda: client.machines.read(cpu_count=10 ** 5000),
                                    ParameterError, "cannot be written as text"),
        "a data= dict with odd keys": (lambda: client.machines.read(data={1: "x"}),
                                       ParameterError, "text keys"),
        "deploy_many with a misspelt parameter, strict": (
            lambda: deploy_many(strict, ["abc", "def"], distro_seris="jammy", progress=False),
            ParameterError, "did you mean distro_series"),
        "deploy_many with non-UTF-8 user data": (
            lambda: deploy_many(client, ["abc", "def"], comment="\udcff", progress=False),
            ParameterError, "not valid text"),
    }


@pytest.mark.parametrize("case", [
    "unknown handler", "unknown action", "undeclared parameter, strict", "missing URI parameter",
    "URI parameter None", "empty URI parameter", "surplus URI parameters",
    "non-UTF-8 text value (GET)", "non-UTF-8 text value (POST)", "non-UTF-8 parameter name",
    "non-UTF-8 URI parameter", "non-UTF-8 bytes in a GET", "an int too big to write",
    "a data= dict with odd keys", "deploy_many with a misspelt parameter, strict",
    "deploy_many with non-UTF-8 user data"])
def test_a_mistake_in_names_or_values_is_one_line_and_nothing_is_sent(case, sandbox, client):
    strict = Client(sandbox.url, sandbox.api_key, cache=False, strict=True)
    call, kind, words = calls(client, strict)[case]
    before = len(sandbox.log)
    with pytest.raises(kind) as caught:
        call()
    assert words in one_line(caught.value)
    assert len(sandbox.log) == before, "a request reached the server"


@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_segments_in_a_uri_parameter_address_nothing_else(dots, client, sandbox):
    """HTTP libraries resolve "." and "..": ``machine.read("..")`` must not become a read
    of the API root (nor ``interface delete abc ..`` a DELETE of the machine)."""
    with pytest.raises(NotFound) as caught:
        client.machine.read(dots)
    one_line(caught.value)
    assert sandbox.log[-1].path == f"/MAAS/api/2.0/machines/{dots}/"


# -- huge values -----------------------------------------------------------------------------

def test_a_10_mb_query_value_is_one_line(client, sandbox):
    with pytest.raises(HTTPError) as caught:
        client.machines.read(hostname="x" * TEN_MB)
    assert caught.value.status == 414 and "414 URI Too Long" in one_line(caught.value)
    assert len(caught.value.url) > TEN_MB  # the whole URL stays on the error


def test_a_10_mb_form_value_travels_whole(client):
    sid = client.machines.read(status="deployed")[0]["system_id"]
    value = "é" * (TEN_MB // 2)  # 10 MB of UTF-8
    answer = client.machine.set_owner_data(sid, big=value)
    assert answer["owner_data"]["big"] == value
    client.machine.set_owner_data(sid, big="")  # removes it again


def test_a_10_mb_value_refused_by_the_server_is_one_line(client):
    with pytest.raises(NotFound) as caught:
        client.machine.deploy("nosuch", user_data=b"\xff" * TEN_MB)
    one_line(caught.value)


# -- the magic -------------------------------------------------------------------------------

@pytest.fixture
def shell(sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("MAAS_URL", sandbox.url)
    monkeypatch.setenv("MAAS_API_KEY", sandbox.api_key)
    monkeypatch.chdir(tmp_path)  # --output writes relative files here
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "")
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "maas_notebook")
    yield ip
    ip.run_line_magic("unload_ext", "maas_notebook")


def magic_error(ip, line):
    outcome = ip.run_cell(f"%maas {line}", store_history=False)
    return outcome.error_in_exec


@pytest.mark.parametrize("argument, words", [
    ("user_data@=/no/such/file", "No such file"),
    ("user_data@=/tmp", "Is a directory"),
    ("user_data@=~no-such-user-here/cloud.yaml", "home directory"),
    ("--output ~no-such-user-here/out.json", "home directory"),
    ("user_data@=-", "cell body"),
    ("user_data@=", "needs a file path"),
    ("user_data@=$nul", "null byte"),
    ("user_data@=/no/such/file --output out.json", "No such file"),
    ("--output /no/such/folder/out.json", "no folder"),
    ("--output /tmp", "folder"),
    ("--output $nul", "NUL"),
])
def test_a_bad_path_in_the_magic_is_one_line_and_nothing_is_sent(argument, words, shell,
                                                                  sandbox):
    shell.user_ns["nul"] = "cloud\0init.yaml"
    sid = shell.run_line_magic("maas", "machines read status=ready --raw")[0]["system_id"]
    before = len(sandbox.log)  # connected already: the describe request is behind us
    error = magic_error(shell, f"machine deploy {sid} {argument}")
    assert isinstance(error, UsageError) and words in one_line(error), error
    assert len(sandbox.log) == before, "a request reached the server"


def test_a_bad_login_is_one_line_and_saves_no_profile(shell, closed_port, sandbox):
    lines = [f"login lab http://127.0.0.1:{closed_port}/MAAS {KEY}",
             f"login lab {sandbox.url} ck:tk",
             f"login lab {sandbox.url} ck:tk:{SECRET}",   # a well-formed key MAAS refuses
             f"login lab not-a-url {KEY}"]
    for line in lines:
        error = magic_error(shell, line)
        assert isinstance(error, MAASError), (line, error)
        one_line(error)
    assert "lab" not in {row["name"] for row in list_profiles()}


# -- property-based --------------------------------------------------------------------------

#: Examples per property; MAAS_FUZZ_EXAMPLES=5000 for a longer hunt.
HYPOTHESIS = settings(max_examples=int(os.environ.get("MAAS_FUZZ_EXAMPLES", 300)),
                      deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])

WORDS = ["machines", "machine", "users", "zones", "zone", "tags", "tag", "version", "events",
         "read", "whoami", "deploy", "release", "create", "delete", "update", "allocate",
         "set-owner-data", "set_owner_data", "query", "details", "power-on", "abort",
         "help", "profiles", "refresh", "use", "logout", "login", "--help", "--raw", "--form",
         "--output", "--output=", "--nope", "-", "--", "$x", "{x}", "'", '"', "\\", "=", "@=",
         "key=", "=value", "nosuch", "machines read", "machine read", "users whoami"]
KEYS = st.sampled_from(["hostname", "status", "zone", "id", "system_id", "user_data",
                        "distro_series", "op", "data", "name", "comment", "erase", "x", "a-b",
                        "tags", "limit"])
VALUES = st.one_of(st.sampled_from(["", "ready", "-", "/", "/no/such", "jammy", "true",
                                    "1", "nan", "$x", "x y"]), st.text(max_size=12))


COMMANDS = ["machines read", "machine read", "machine deploy", "machine release",
            "machine set-owner-data", "machines allocate", "tags create", "tag delete",
            "zones read", "users whoami", "events query", "machine abort", "version read"]


@st.composite
def magic_lines(draw, system_ids):
    """A line of known words and random text; half of them start with a real command, so
    the server gets to answer (and refuse) too."""
    pair = st.builds(lambda key, sign, value: f"{key}{sign}{value}", KEYS,
                     st.sampled_from(["=", "@="]), VALUES)
    tokens = draw(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(system_ids),
                                     st.text(max_size=10), pair), max_size=6))
    if draw(st.booleans()):
        tokens = [draw(st.sampled_from(COMMANDS)),
                  *draw(st.lists(st.sampled_from(system_ids + ["nosuch"]), max_size=1)),
                  *draw(st.lists(pair, max_size=3)), *tokens[:2]]
    return " ".join(tokens)


@pytest.fixture
def fuzz_sandbox():
    with Sandbox(machines=10, deploy_seconds=0.2, seed=9) as sb:
        yield sb


def test_random_magic_lines_only_raise_usage_or_maas_errors(fuzz_sandbox, monkeypatch,
                                                            tmp_path, capsys):
    monkeypatch.setenv("MAAS_URL", fuzz_sandbox.url)
    monkeypatch.setenv("MAAS_API_KEY", fuzz_sandbox.api_key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "")  # login never waits for a key
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "maas_notebook")
    ip.user_ns["x"] = "value with spaces"
    system_ids = sorted(fuzz_sandbox.state.machines)[:4]
    seen = {"ok": 0, "usage": 0, "maas": 0}

    @HYPOTHESIS
    @given(line=magic_lines(system_ids))
    def run(line):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ip.run_line_magic("maas", line)
                seen["ok"] += 1
            except UsageError as exc:
                seen["usage"] += 1
                assert "\n" not in str(exc), (line, str(exc))
            except MAASError as exc:
                seen["maas"] += 1
                assert "\n" not in str(exc), (line, str(exc))
    try:
        run()
    finally:
        ip.run_line_magic("unload_ext", "maas_notebook")
        capsys.readouterr()
    assert seen["ok"] and seen["usage"] and seen["maas"], seen  # every outcome was met


LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 4400),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.binary(max_size=20),
    st.sampled_from(["\udcff", "ready", "jammy", "", "a\0b", "\r\n"]))
VALUES_TREE = st.recursive(LEAVES, lambda children: st.one_of(
    st.lists(children, max_size=3), st.tuples(children), st.sets(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=4), children, max_size=2)), max_leaves=6)
NAMES = st.one_of(st.sampled_from(["hostname", "system_id", "data", "files", "params", "op",
                                   "id", "status", "user_data", "name", "tags", "zone",
                                   "cpu_count", "dry_run", "comment"]),
                  st.text(max_size=12))
ACTIONS = [("machines", "read", 0), ("machine", "read", 1), ("machine", "set_owner_data", 1),
           ("machines", "allocate", 0), ("tags", "create", 0), ("users", "whoami", 0),
           ("zones", "read", 0), ("machine", "deploy", 1), ("events", "query", 0)]


def test_random_parameters_only_raise_maas_errors(fuzz_sandbox):
    lenient = Client(fuzz_sandbox.url, fuzz_sandbox.api_key, cache=False)
    strict = Client(fuzz_sandbox.url, fuzz_sandbox.api_key, cache=False, strict=True)
    system_ids = sorted(fuzz_sandbox.state.machines)[:4]
    seen = {"ok": 0, "maas": 0}

    @HYPOTHESIS
    @given(which=st.sampled_from(ACTIONS), use_strict=st.booleans(),
           uri=st.one_of(st.sampled_from(system_ids), VALUES_TREE),
           params=st.dictionaries(NAMES, VALUES_TREE, max_size=4))
    def run(which, use_strict, uri, params):
        handler, action, uri_count = which
        bound = (strict if use_strict else lenient).handler(handler).action(action)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                bound(*([uri] * uri_count), **params)
                seen["ok"] += 1
            except MAASError as exc:
                seen["maas"] += 1
                assert "\n" not in str(exc), (which, params, str(exc))
    run()
    assert seen["ok"] and seen["maas"], seen
