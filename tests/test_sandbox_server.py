"""The server itself: request encodings (ours and the official CLI's), concurrency, restart,
size, loopback only, and the ``maas-notebook sandbox`` command."""

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from email.generator import BytesGenerator
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from io import BytesIO
from pathlib import Path

import pytest
import requests
from sandbox_helpers import Api, admin, first, sandbox  # noqa: F401 - fixtures

from maas_notebook.__main__ import main
from maas_notebook.sandbox import Sandbox


def cli_style_body(fields: list[tuple[str, str]]) -> tuple[dict, bytes]:
    """Headers and body as the official ``maas`` CLI builds them: an email MIME multipart
    whose parts are each base64-encoded (Content-Transfer-Encoding: base64), CRLF lines."""
    message = MIMEMultipart("form-data")
    for name, value in fields:
        part = MIMEApplication(value.encode("utf-8"), charset="utf-8")
        part.add_header("Content-Disposition", "form-data", name=name)
        part.set_type("text/plain")
        message.attach(part)
    buffer = BytesIO()
    generator = BytesGenerator(buffer, False)
    generator._write_headers = lambda self: None  # the body only, as the CLI does
    generator.flatten(message)
    body = b"\r\n".join(buffer.getvalue().splitlines())
    assert b"Content-Transfer-Encoding: base64" in body
    return {"Content-Type": message["Content-Type"], "MIME-Version": "1.0"}, body


def test_cli_style_base64_multipart_parts_are_decoded(sandbox, admin):
    machine = first(admin.ok("GET", "machines/"), status_name="Allocated", owner="admin")
    headers, body = cli_style_body([("owner", "team ünïcode"), ("purpose", "ci")])
    response = requests.post(f"{sandbox.url}api/2.0/machines/{machine['system_id']}/",
                             params={"op": "set_owner_data"}, data=body, headers=headers,
                             auth=admin.auth(), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["owner_data"] == {"owner": "team ünïcode", "purpose": "ci"}


def test_cli_style_repeated_parts_give_lists(sandbox, admin):
    ids = [m["system_id"] for m in admin.ok("GET", "machines/")[:2]]
    headers, body = cli_style_body([("name", "cli-made")])
    requests.post(sandbox.url + "api/2.0/tags/", data=body, headers=headers,
                  auth=admin.auth(), timeout=10).raise_for_status()
    headers, body = cli_style_body([("add", ids[0]), ("add", ids[1])])
    response = requests.post(sandbox.url + "api/2.0/tags/cli-made/", params={"op": "update_nodes"},
                             data=body, headers=headers, auth=admin.auth(), timeout=10)
    assert response.json() == {"added": 2, "removed": 0}


def test_urlencoded_forms_and_empty_posts_are_accepted(sandbox, admin):
    response = requests.post(sandbox.url + "api/2.0/tags/", data={"name": "form-made"},
                             auth=admin.auth(), timeout=10)
    assert response.status_code == 200 and response.json()["name"] == "form-made"
    assert admin.post("machines/", "allocate").status_code == 200  # no body at all


def test_files_travel_as_file_parts(sandbox, admin):
    machine = first(admin.ok("GET", "machines/"), status_name="Allocated", owner="admin")
    response = requests.post(f"{sandbox.url}api/2.0/machines/{machine['system_id']}/",
                             params={"op": "set_owner_data"},
                             files={"note": (None, "plain"), "blob": ("blob.bin", b"\x00\x01")},
                             auth=admin.auth(), timeout=10)
    assert response.json()["owner_data"] == {"note": "plain"}  # files are no form fields


def test_fifty_concurrent_clients_lose_no_update(sandbox):
    api = Api(sandbox.url, sandbox.api_key)
    machine = first(api.ok("GET", "machines/"), status_name="Allocated", owner="admin")
    path = f"machines/{machine['system_id']}/"

    def client(number):
        mine = Api(sandbox.url, sandbox.api_key)  # its own connection, like a separate client
        statuses = [mine.post(path, "set_owner_data", **{f"key{number}": str(number)}).status_code,
                    mine.post("tags/", name=f"tag-{number}").status_code,
                    mine.get("machines/", status="ready").status_code]
        return statuses

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(client, range(50)))
    assert all(result == [200, 200, 200] for result in results)
    owner_data = api.ok("GET", path)["owner_data"]
    assert owner_data == {f"key{n}": str(n) for n in range(50)}
    tags = {t["name"] for t in api.ok("GET", "tags/")}
    assert {f"tag-{n}" for n in range(50)} <= tags


def test_fifty_concurrent_allocations_never_share_a_machine():
    # Slow lifecycle: no commissioning machine turns Ready while the test counts.
    with Sandbox(machines=40, deploy_seconds=600) as running:
        api = Api(running.url, running.api_key)
        ready = len(api.ok("GET", "machines/", status="ready"))
        with ThreadPoolExecutor(max_workers=50) as pool:
            responses = list(pool.map(lambda _: Api(running.url, running.api_key).post(
                "machines/", "allocate"), range(50)))
        allocated = [r.json()["system_id"] for r in responses if r.status_code == 200]
        assert len(allocated) == len(set(allocated)) == ready
        assert {r.status_code for r in responses} == {200, 409}
        assert api.ok("GET", "machines/", status="ready") == []


def test_stop_and_start_again_on_the_same_port_keeps_the_state():
    running = Sandbox(machines=5).start()
    try:
        api = Api(running.url, running.api_key)
        machine = api.ok("POST", "machines/", "allocate")
        url, port = running.url, running.port
        running.stop()
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "api/2.0/version/", timeout=2)
        running.start()
        assert (running.url, running.port) == (url, port)
        again = api.ok("GET", f"machines/{machine['system_id']}/")  # the same keep-alive client
        assert (again["status_name"], again["owner"]) == ("Allocated", "admin")
    finally:
        running.stop()


def test_ten_thousand_machines_list_quickly():
    started = time.monotonic()
    with Sandbox(machines=10_000) as big:
        created = time.monotonic() - started
        api = Api(big.url, big.api_key)
        started = time.monotonic()
        response = api.get("machines/")
        first_read = time.monotonic() - started
        started = time.monotonic()
        filtered = api.ok("GET", "machines/", status="deployed", zone="az1")
        filtered_read = time.monotonic() - started
    assert response.status_code == 200
    # Each machine has one top-level resource_uri; counting them avoids decoding ~90 MB here.
    assert response.content.count(b'"resource_uri": "/MAAS/api/2.0/machines/') == 10_000
    assert filtered and all(m["status_name"] == "Deployed" for m in filtered)
    # Generous bounds (about 1, 2 and 0.1 s on an idle laptop): they catch a quadratic
    # slip, not a busy CI machine.
    assert created < 10 and first_read < 15 and filtered_read < 3, (created, first_read,
                                                                    filtered_read)


def test_only_loopback_addresses_are_served():
    with pytest.raises(ValueError, match="loopback only"):
        Sandbox(machines=1, host="0.0.0.0").start()
    with Sandbox(machines=1, host="::1") as ipv6:
        assert ipv6.url.startswith("http://[::1]:")
        assert requests.get(ipv6.url + "api/2.0/version/", timeout=5).status_code == 200


def test_the_command_refuses_other_hosts_bad_keys_and_busy_ports(capsys, tmp_path):
    assert main(["sandbox", "--host", "0.0.0.0"]) == 2
    assert "loopback only" in capsys.readouterr().err
    assert main(["sandbox", "--port", "0", "--api-key", "nocolons"]) == 2
    assert "API key" in capsys.readouterr().err
    (tmp_path / "bogus.json").write_text("[]")
    assert main(["sandbox", "--port", "0", "--describe", str(tmp_path / "bogus.json")]) == 2
    assert "not a MAAS describe document" in capsys.readouterr().err
    with Sandbox(machines=1) as busy:
        assert main(["sandbox", "--port", str(busy.port)]) == 2
        assert f"cannot listen on 127.0.0.1:{busy.port}" in capsys.readouterr().err


def _console_commands():
    script = Path(sys.executable).with_name("maas-notebook")
    commands = [pytest.param([sys.executable, "-m", "maas_notebook"], id="python -m")]
    commands.append(pytest.param([str(script)], id="console script", marks=pytest.mark.skipif(
        not script.exists(), reason=f"{script} is not installed (pip install -e .)")))
    return commands


def start_command(command, *options):
    """Start ``command sandbox OPTIONS`` and read its URL and key from the first lines."""
    process = subprocess.Popen(command + ["sandbox", "--port", "0", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ))
    url = process.stdout.readline().split("MAAS sandbox: ")[1].strip()
    key = process.stdout.readline().split("API key (admin): ")[1].strip()
    return process, url, key


def stop_command(process):
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "sandbox stopped" in out and "Traceback" not in err


@pytest.mark.parametrize("command", _console_commands())
def test_the_command_prints_url_and_key_and_serves_until_stopped(command):
    process, url, key = start_command(command, "--machines", "3", "--api-key", "ck:tk:ts")
    try:
        assert key == "ck:tk:ts"
        assert len(Api(url, key).ok("GET", "machines/")) == 3
    finally:
        stop_command(process)


def test_the_command_serves_a_real_describe_document(shared_fixtures):
    path = shared_fixtures / "describe" / "maas-3.0.json"
    process, url, key = start_command([sys.executable, "-m", "maas_notebook"],
                                      "--describe", str(path))
    try:
        served = Api(url).ok("GET", "describe/")
        assert served["hash"] == json.loads(path.read_text())["hash"]
        assert len(Api(url, key).ok("GET", "machines/")) == 40
    finally:
        stop_command(process)


def test_multipart_parsing_keeps_file_parts_apart():
    from maas_notebook.sandbox.forms import parse_body
    body, content_type = requests.models.RequestEncodingMixin._encode_files(
        [("name", (None, "a")), ("name", (None, "b")), ("upload", ("x.bin", b"\x00\xff"))], {})
    params = parse_body(content_type, body)
    assert params.list("name") == ["a", "b"] and params.get("name") == "b"
    assert "upload" not in params and params.files == {"upload": b"\x00\xff"}


def test_the_command_fails_the_named_machines_deploys():
    from maas_notebook.sandbox import Sandbox
    planned = Sandbox(machines=6, seed=4)  # the same seed generates the same inventory
    ready = [m for m in planned.state.machines.values() if m.status_name == "Ready"][0]
    process, url, key = start_command([sys.executable, "-m", "maas_notebook"], "--machines", "6",
                                      "--seed", "4", "--deploy-seconds", "0.1",
                                      "--fail-machines", ready.hostname)
    try:
        api = Api(url, key)
        api.ok("POST", f"machines/{ready.system_id}/", "deploy")
        deadline = time.monotonic() + 10
        while api.ok("GET", f"machines/{ready.system_id}/")["status_name"] == "Deploying":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert api.ok("GET", f"machines/{ready.system_id}/")["status_name"] == "Failed deployment"
    finally:
        stop_command(process)
