"""The sandbox's describe document: MAAS's structure, annotated docs, the API hash, and
serving a real MAAS document with ``describe=FILE``."""

import json
import re

import pytest
import requests
from sandbox_helpers import Api, admin, anonymous, sandbox  # noqa: F401 - fixtures

from maas_notebook.sandbox import Sandbox

PARAM = re.compile(r"^ ?:param (\w+): (Required|Optional)\.  ", re.M)
TYPE = re.compile(r"^:type (\w+): (String|Int|Boolean|Float|URL String)$", re.M)


@pytest.fixture
def document(anonymous):
    return anonymous.ok("GET", "describe/")


def test_the_document_has_the_structure_of_a_real_one(document, sandbox):
    assert set(document) == {"doc", "hash", "resources", "handlers"}
    host = sandbox.url.split("/MAAS/")[0]
    for resource in document["resources"]:
        assert set(resource) == {"name", "anon", "auth"}
        for handler in filter(None, (resource["anon"], resource["auth"])):
            assert set(handler) == {"name", "doc", "params", "path", "uri", "actions"}
            assert handler["uri"] == host + handler["path"]
            assert handler["params"] == re.findall(r"{(\w+)}", handler["path"])
            for action in handler["actions"]:
                assert set(action) == {"name", "method", "op", "restful", "doc"}
                assert action["restful"] == (action["op"] is None)
    sides = [h for r in document["resources"] for h in (r["anon"], r["auth"]) if h]
    assert sorted(h["name"] for h in document["handlers"]) == sorted(h["name"] for h in sides)


def test_it_describes_every_resource_the_issue_lists(document):
    actions = {(r["name"], a["name"]) for r in document["resources"]
               for h in (r["anon"], r["auth"]) if h for a in h["actions"]}
    expected = {
        "VersionHandler": ["read"], "UsersHandler": ["read", "whoami", "create"],
        "UserHandler": ["read", "delete"],
        "MachinesHandler": ["read", "allocate", "is_registered"],
        "MachineHandler": ["read", "update", "deploy", "release", "abort", "power_on",
                           "power_off", "query_power_state", "set_owner_data"],
        "ZonesHandler": ["read"], "ZoneHandler": ["read"], "ResourcePoolsHandler": ["read"],
        "ResourcePoolHandler": ["read"], "TagsHandler": ["read", "create"],
        "TagHandler": ["read", "delete", "update_nodes", "machines"],
        "BootResourcesHandler": ["read"], "EventsHandler": ["query"],
        "SubnetsHandler": ["read"], "FabricsHandler": ["read"], "VlansHandler": ["read"],
        "MaasHandler": ["get_config", "set_config"]}
    assert {(name, action) for name, acts in expected.items() for action in acts} <= actions
    version = next(r for r in document["resources"] if r["name"] == "VersionHandler")
    assert version["auth"] is None and version["anon"]["name"] == "VersionHandler"


def test_every_action_declares_its_parameters_in_the_annotated_format(document):
    for resource in document["resources"]:
        for handler in filter(None, (resource["anon"], resource["auth"])):
            for action in handler["actions"]:
                doc = action["doc"]
                assert doc.split("\n\n")[0].strip(), f"{handler['name']}.{action['name']}"
                declared = [name for name, _ in PARAM.findall(doc)]
                typed = [name for name, _ in TYPE.findall(doc)]
                assert declared == typed, f"{handler['name']}.{action['name']}"
                assert doc.count(":param ") == len(declared)
    allocate = _action(document, "MachinesHandler", "allocate")["doc"]
    assert ":param dry_run: Optional.  " in allocate and ":type dry_run: Boolean" in allocate
    create = _action(document, "UsersHandler", "create")["doc"]
    assert ":param username: Required.  " in create


def _action(document, handler_name, action_name):
    for resource in document["resources"]:
        for handler in filter(None, (resource["anon"], resource["auth"])):
            if handler["name"] == handler_name:
                for action in handler["actions"]:
                    if action["name"] == action_name:
                        return action
    raise KeyError((handler_name, action_name))


def test_handler_names_paths_and_actions_are_maas_3_0s(document, shared_fixtures):
    real = json.loads((shared_fixtures / "describe" / "maas-3.0.json").read_text())
    real_handlers = {(h["name"], h["path"]): h for h in real["handlers"]}
    for handler in document["handlers"]:
        assert (handler["name"], handler["path"]) in real_handlers, handler["name"]
        real_actions = {(a["name"], a["method"], a["op"])
                        for a in real_handlers[(handler["name"], handler["path"])]["actions"]}
        for action in handler["actions"]:
            assert (action["name"], action["method"], action["op"]) in real_actions, \
                (handler["name"], action["name"])


def test_every_response_carries_the_api_hash(document, admin, anonymous):
    expected = document["hash"]
    responses = [anonymous.get("version/"), anonymous.get("machines/"),
                 admin.get("machines/"), admin.get("machines/nosuch/"),
                 admin.post("machines/", "allocate", zone="nosuchzone"),
                 admin.get("nosuchpath/")]
    assert [r.headers["X-MAAS-API-Hash"] for r in responses] == [expected] * len(responses)
    assert re.fullmatch(r"[0-9a-f]{40}", expected)


def test_the_hash_changes_when_asked_and_comes_back(sandbox, anonymous):
    original = sandbox.api_hash
    sandbox.set_api_hash_salt("upgrade-1")
    assert sandbox.api_hash != original
    assert anonymous.ok("GET", "describe/")["hash"] == sandbox.api_hash
    assert anonymous.get("version/").headers["X-MAAS-API-Hash"] == sandbox.api_hash
    sandbox.set_api_hash_salt("")
    assert sandbox.api_hash == original


def test_the_hash_depends_on_the_content_not_on_the_run():
    with Sandbox(machines=1, seed=1) as one, Sandbox(machines=3, seed=2) as other:
        assert one.api_hash == other.api_hash


def test_uris_carry_the_host_the_client_used(sandbox):
    port = sandbox.port
    document = requests.get(f"http://localhost:{port}/MAAS/api/2.0/describe/", timeout=10).json()
    assert document["resources"][0]["auth"]["uri"].startswith(f"http://localhost:{port}/MAAS/")


# -- serving a real MAAS document ---------------------------------------------------------

@pytest.fixture
def maas30(shared_fixtures):
    path = shared_fixtures / "describe" / "maas-3.0.json"
    with Sandbox(machines=10, deploy_seconds=0.2, describe=path) as running:
        yield running, json.loads(path.read_text())


def test_a_real_document_is_served_with_its_hash_and_rewritten_uris(maas30):
    sandbox, real = maas30
    served = Api(sandbox.url).ok("GET", "describe/")
    assert served["hash"] == real["hash"] == sandbox.api_hash
    assert [r["name"] for r in served["resources"]] == [r["name"] for r in real["resources"]]
    host = sandbox.url.split("/MAAS/")[0]
    uris = [h["uri"] for h in served["handlers"]]
    assert all(uri.startswith(host + "/MAAS/api/2.0/") for uri in uris)
    assert "192.0.2.1" not in json.dumps(served)
    assert Api(sandbox.url).get("version/").headers["X-MAAS-API-Hash"] == real["hash"]


def test_a_real_document_simulates_what_the_sandbox_knows(maas30):
    sandbox, _ = maas30
    api = Api(sandbox.url, sandbox.api_key)
    machines = api.ok("GET", "machines/", status="ready")
    assert machines and all(m["status_name"] == "Ready" for m in machines)
    deployed = api.ok("POST", f"machines/{machines[0]['system_id']}/", "deploy")
    assert deployed["status_name"] == "Deploying"
    assert api.ok("GET", "users/", "whoami")["username"] == "admin"


def test_a_real_document_answers_501_for_what_the_sandbox_does_not_simulate(maas30):
    sandbox, _ = maas30
    api = Api(sandbox.url, sandbox.api_key)
    system_id = api.ok("GET", "machines/")[0]["system_id"]
    response = api.post(f"machines/{system_id}/", "mark_broken")
    assert response.status_code == 501
    assert response.text == "The sandbox does not simulate mark_broken on MachineHandler."
    assert api.get("dhcp-snippets/").status_code == 501
    assert api.post(f"machines/{system_id}/", "no_such_op").status_code == 400


@pytest.mark.parametrize("name", ["maas-2.0-pre.json", "maas-2.1.json"])
def test_older_documents_load_and_serve(shared_fixtures, name):
    with Sandbox(machines=3, describe=shared_fixtures / "describe" / name) as running:
        api = Api(running.url, running.api_key)
        assert api.ok("GET", "describe/")["resources"]
        assert len(api.ok("GET", "machines/")) == 3


def test_a_file_that_is_no_describe_document_is_refused(tmp_path):
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"hello": "world"}')
    with pytest.raises(ValueError, match="not a MAAS describe document"):
        Sandbox(describe=bogus)


# -- every declared action answers -------------------------------------------------------

def sweep(api, document, values):
    """Call every action of ``document`` with no parameters; ``values`` fills URI params."""
    answers = {}
    for resource in document["resources"]:
        for handler in filter(None, (resource["auth"], resource["anon"])):
            path = handler["path"].split("/api/2.0/", 1)[1]
            for name in handler["params"]:
                path = path.replace("{%s}" % name, values.get((handler["name"], name), "1"))
            for action in handler["actions"]:
                response = api.request(action["method"], path, action["op"])
                answers[(handler["name"], action["name"])] = response
    return answers


def test_every_action_of_our_document_is_routed_and_answers(document, admin):
    system_id = admin.ok("GET", "machines/")[0]["system_id"]
    values = {("MachineHandler", "system_id"): system_id, ("UserHandler", "username"): "ops",
              ("ZoneHandler", "name"): "default", ("TagHandler", "name"): "virtual",
              ("ResourcePoolHandler", "id"): "0", ("VlansHandler", "fabric_id"): "0"}
    for (handler, action), response in sweep(admin, document, values).items():
        assert response.status_code in (200, 204, 400, 404, 409, 501), (handler, action,
                                                                        response.text)
        assert not response.text.startswith(("Unknown API path", "Unrecognised signature"))
        if response.status_code == 501:
            assert (handler, action) in {("MachineHandler", "details"),
                                         ("MachineHandler", "commission")}


def test_every_action_of_a_real_maas_3_0_document_answers_without_failing(maas30):
    sandbox, real = maas30
    answers = sweep(Api(sandbox.url, sandbox.api_key), real, {})
    for (handler, action), response in answers.items():
        assert response.status_code in (200, 204, 400, 404, 409, 501), (handler, action,
                                                                        response.text)
        assert not response.text.startswith(("Unknown API path", "Unrecognised signature"))
    simulated = [key for key, response in answers.items() if response.status_code != 501]
    assert len(simulated) >= 30 and len(answers) - len(simulated) > 250
