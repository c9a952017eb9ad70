"""The client against a real local HTTP server: calls, arguments, errors, the describe
cache and the API hash check, connect(), redaction, and what importing it costs."""

import base64
import inspect
import io
import json
import logging
import sqlite3
import subprocess
import sys
import warnings

import pytest

from maas_notebook import APIChangedWarning, Client, MAASError, connect
from maas_notebook.actions import UndeclaredParameterWarning
from maas_notebook.errors import (ConfigurationError, Conflict, NotFound, ParameterError,
                                  UnknownNameError)
from tests.describe_doc import describe_doc
from tests.fakeserver import Answer, fake_server  # noqa: F401 - a fixture

KEY = "ck:tk:s3cr3t-token-secret"
SECRET = "s3cr3t-token-secret"


@pytest.fixture
def client(fake_server):
    return Client(fake_server.maas_url, KEY, description=describe_doc(), cache=False)


def test_whoami_returns_the_decoded_json(client, fake_server):
    fake_server.queue(Answer(200, {"username": "admin", "is_superuser": True}))
    assert client.users.whoami() == {"username": "admin", "is_superuser": True}
    [seen] = fake_server.requests
    assert (seen.method, seen.path, seen.query) == ("GET", "/MAAS/api/2.0/users/", [("op", "whoami")])


@pytest.mark.parametrize("suffix", ["", "/", "/api/2.0", "/api/2.0/"])
def test_url_may_end_with_or_without_slash_or_api_root(fake_server, suffix):
    base = fake_server.maas_url.rstrip("/")
    client = Client(base + suffix, KEY, description=describe_doc(), cache=False)
    client.machines.read()
    assert fake_server.requests[-1].path == "/MAAS/api/2.0/machines/"


def test_lists_repeat_the_key_in_the_query(client, fake_server):
    fake_server.queue(Answer(200, []))
    assert client.machines.read(status="ready", hostname=["a", "b"]) == []
    assert fake_server.requests[0].query == [("status", "ready"), ("hostname", "a"), ("hostname", "b")]


def test_uri_params_positional_or_by_name_and_percent_encoded(client, fake_server):
    client.machine.deploy("abc123", distro_series="jammy")
    client.machine.deploy(system_id="a/b c", distro_series="jammy")
    first, second = fake_server.requests
    assert first.path == "/MAAS/api/2.0/machines/abc123/" and first.params == {"op": ["deploy"]}
    assert first.form == {"distro_series": ["jammy"]}
    assert second.path == "/MAAS/api/2.0/machines/a%2Fb%20c/"


def test_user_data_bytes_are_base64_encoded_and_str_is_sent_as_given(client, fake_server):
    client.machine.deploy("abc123", user_data=b"#cloud-config\n")
    client.machine.deploy("abc123", user_data="I2Nsb3VkLWNvbmZpZwo=")
    encoded = base64.b64encode(b"#cloud-config\n").decode()
    assert fake_server.requests[0].form["user_data"] == [encoded]
    assert fake_server.requests[1].form["user_data"] == ["I2Nsb3VkLWNvbmZpZwo="]


def test_files_travel_as_file_parts(client, fake_server):
    client.files.add(filename="seed", file=io.BytesIO(b"\x00\x01binary"))
    parts = {name: (filename, data) for name, filename, data in fake_server.requests[0].parts}
    assert parts["file"][1] == b"\x00\x01binary" and parts["file"][0]
    assert parts["filename"] == (None, b"seed")


def test_empty_post_is_allowed(client, fake_server):
    client.machines.allocate()
    [seen] = fake_server.requests
    assert seen.method == "POST" and seen.params == {"op": ["allocate"]} and seen.parts == []


def test_missing_and_surplus_uri_params_are_clear_errors(client, fake_server):
    with pytest.raises(ParameterError, match="missing the URI parameter 'system_id'"):
        client.machine.deploy(distro_series="jammy")
    with pytest.raises(ParameterError, match="takes 1 positional"):
        client.machine.deploy("a", "b")
    assert fake_server.requests == []


def test_undeclared_parameter_warns_with_close_names_and_strict_refuses(fake_server):
    client = Client(fake_server.maas_url, KEY, description=describe_doc(), cache=False)
    with pytest.warns(UndeclaredParameterWarning, match="did you mean zone"):
        client.machines.allocate(zonee="dc1")
    strict = Client(fake_server.maas_url, KEY, description=describe_doc(), cache=False, strict=True)
    fake_server.requests.clear()
    with pytest.raises(ParameterError, match="does not declare 'zonee'"):
        strict.machines.allocate(zonee="dc1")
    assert fake_server.requests == []  # refused before anything was sent


def test_seed_project_dict_keywords_still_work_with_a_deprecation_warning(client, fake_server):
    userdata = {"username": "testuser1", "email": "t@example.com", "is_superuser": "0"}
    with pytest.warns(DeprecationWarning, match=r"users.create\(username=..."):
        client.users.create(files=userdata)
    with pytest.warns(DeprecationWarning):
        client.user.delete(params={"username": "testuser1"})
    create, delete = fake_server.requests
    assert create.form == {"username": ["testuser1"], "email": ["t@example.com"], "is_superuser": ["0"]}
    assert (delete.method, delete.path) == ("DELETE", "/MAAS/api/2.0/users/testuser1/")


def test_booleans_and_numbers_are_sent_as_maas_reads_them(client, fake_server):
    client.machines.allocate(dry_run=True, cpu_count=4)
    assert fake_server.requests[0].form == {"dry_run": ["true"], "cpu_count": ["4"]}


def test_responses_decode_by_content_type(client, fake_server):
    fake_server.queue(Answer(200, "plain text"), Answer(200, b"\x89PNG", {"Content-Type": "application/octet-stream"}),
                      Answer(204, b""))
    assert client.machine.details("x") == "plain text"
    assert client.machine.details("x") == b"\x89PNG"
    assert client.machine.release("x") is None


@pytest.mark.parametrize("status, error", [(404, NotFound), (409, Conflict)])
def test_http_errors_carry_status_method_url_action_and_body(client, fake_server, status, error):
    fake_server.queue(Answer(status, "No machine matches"))
    with pytest.raises(error) as caught:
        client.machine.deploy("abc123")
    exc = caught.value
    assert (exc.status, exc.method, exc.body, exc.action) == (status, "POST", "No machine matches", "machine deploy")
    assert exc.url.endswith("/MAAS/api/2.0/machines/abc123/?op=deploy")
    assert exc._render_traceback_() == [f"{type(exc).__name__}: {exc}"]
    assert "\n" not in str(exc)


def test_unknown_handler_and_action_suggest_close_names(client):
    with pytest.raises(UnknownNameError, match="did you mean machine"):
        client.machin
    with pytest.raises(UnknownNameError, match="did you mean deploy"):
        client.machine.deplyo
    assert not hasattr(client, "nonsense") and isinstance(UnknownNameError("a", "b", []), AttributeError)


def test_names_tab_completion_docs_and_signature(client):
    assert {"users", "machine", "machines", "boot_resources", "version"} <= set(dir(client))
    assert {"deploy", "release", "read"} <= set(dir(client.machine))
    deploy = client.machine.deploy
    assert deploy.doc.startswith("Deploy") and deploy.__doc__ == deploy.doc
    assert [p.name for p in deploy.params] == ["user_data", "distro_series", "osystem", "comment"]
    signature = inspect.signature(deploy)
    assert list(signature.parameters)[:2] == ["system_id", "user_data"]
    assert signature.parameters["distro_series"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "machine.deploy(system_id" in repr(deploy)
    assert client.machines.is_registered.name == "is_registered"  # the anonymous action merged in


def test_help_shows_doc_and_signature(client):
    import pydoc
    text = pydoc.render_doc(client.machine.deploy, renderer=pydoc.plaintext)
    assert "system_id" in text and "The distro_series." in text


def test_anonymous_client_has_only_anonymous_handlers(fake_server):
    client = Client(fake_server.maas_url, description=describe_doc(), cache=False)
    assert client.anonymous and set(client.description.handlers) == {"machines", "version"}
    assert client.machines.read.spec.doc.startswith("Anonymous read")
    with pytest.raises(UnknownNameError, match="needs an API key"):
        client.users
    client.version.read()
    assert "Authorization" not in fake_server.requests[0].headers


def test_warm_cache_makes_no_describe_request(fake_server):
    fake_server.handler = lambda request: Answer(200, describe_doc(), {"X-MAAS-API-Hash": "hash-1"})
    Client(fake_server.maas_url, KEY)
    assert [r.path for r in fake_server.requests] == ["/MAAS/api/2.0/describe/"]
    fake_server.requests.clear()
    warm = Client(fake_server.maas_url, KEY)
    assert fake_server.requests == [] and "machine" in dir(warm)


def test_a_new_api_hash_refreshes_once_and_warns(fake_server):
    client = Client(fake_server.maas_url, KEY, description=describe_doc("hash-1"), cache=False)
    changed = describe_doc("hash-2")
    changed["resources"][0]["auth"]["actions"].append(
        {"name": "new_action", "method": "GET", "op": "new_action", "restful": False, "doc": "New."})

    def answer(request):
        if request.path.endswith("/describe/"):
            return Answer(200, changed, {"X-MAAS-API-Hash": "hash-2"})
        return Answer(200, {"username": "admin"}, {"X-MAAS-API-Hash": "hash-2"})
    fake_server.handler = answer
    with pytest.warns(APIChangedWarning, match="changed"):
        client.users.whoami()
    assert client.description.hash == "hash-2" and "new_action" in dir(client.users)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.users.whoami()  # the same new hash: no second refresh
    assert sum(r.path.endswith("/describe/") for r in fake_server.requests) == 1


def test_a_server_that_is_not_maas_is_a_one_line_configuration_error(fake_server):
    fake_server.handler = lambda request: Answer(200, "<html>login</html>", {"Content-Type": "text/html"})
    with pytest.raises(ConfigurationError, match="did not return a MAAS API description"):
        Client(fake_server.maas_url, KEY, cache=False)


def test_connect_reads_the_environment(fake_server, monkeypatch):
    monkeypatch.setenv("MAAS_URL", fake_server.maas_url)
    monkeypatch.setenv("MAAS_API_KEY", KEY)
    fake_server.handler = lambda request: Answer(200, describe_doc())
    client = connect()
    client.users.whoami()
    assert fake_server.requests[-1].headers["Authorization"].startswith("OAuth")


def test_connect_reads_a_maascli_profile_store(fake_server, tmp_path, monkeypatch):
    db = tmp_path / "home" / ".maascli.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)")
        conn.execute("INSERT INTO profiles (name, data) VALUES (?, ?)", ("admin", json.dumps(
            {"credentials": KEY.split(":"), "url": fake_server.maas_url, "description": describe_doc()})))
    fake_server.handler = lambda request: Answer(200, describe_doc())
    client = connect(profile="admin")
    assert client.name == "admin"
    assert fake_server.requests == []  # started from the description `maas login` stored
    client.users.whoami()
    assert connect().url == client.url  # the only profile there is


def test_the_token_secret_never_shows(client, fake_server, caplog):
    caplog.set_level(logging.DEBUG)
    fake_server.queue(Answer(401, "Authorization Error: bad token"))
    with pytest.raises(MAASError) as caught:
        client.users.whoami()
    texts = [repr(client), str(client), str(caught.value), repr(caught.value), repr(client._transport),
             caplog.text, repr(client.users), repr(client.users.whoami)]
    assert not [t for t in texts if SECRET in t]
    with pytest.raises(ConfigurationError) as bad:
        Client(fake_server.maas_url, "only:two-parts-" + SECRET, description=describe_doc())
    assert SECRET not in str(bad.value)


def test_importing_and_building_a_client_loads_no_heavy_modules(fake_server, tmp_path):
    doc_file = tmp_path / "doc.json"
    doc_file.write_text(json.dumps(describe_doc()))
    code = (
        "import json, sys\n"
        "import maas_notebook\n"
        f"c = maas_notebook.Client({fake_server.maas_url!r}, {KEY!r}, "
        f"description=json.load(open({str(doc_file)!r})), cache=False)\n"
        "c.machine.deploy; dir(c)\n"
        "heavy = [m for m in ('pandas', 'ipywidgets', 'IPython') if m in sys.modules]\n"
        "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
