"""The describe model: CLI naming, merging of anon/auth actions, and doc parsing."""

import json

import pytest

from maas_notebook.description import (Description, cli_name, handler_cli_name, param_kind,
                                       parse_doc, python_name)
from maas_notebook.errors import UnknownNameError

DOCS = ["maas-2.0-pre.json", "maas-2.1.json", "maas-3.0.json"]


@pytest.fixture(scope="module", params=DOCS)
def real_doc(request, shared_fixtures):
    return json.loads((shared_fixtures / "describe" / request.param).read_text())


@pytest.mark.parametrize("class_name, expected", [
    ("BootResourcesHandler", "boot-resources"),
    ("DHCPSnippetHandler", "dhcpsnippet"),
    ("MachineHandler", "machine"),
    ("VlanHandler", "vlan"),
    ("NodeScriptResultsHandler", "node-script-results"),
    ("SSLKeysHandler", "sslkeys"),
    ("MaasHandler", "maas"),
])
def test_handler_names_follow_the_cli(class_name, expected):
    assert handler_cli_name(class_name) == expected


def test_python_and_cli_spellings_convert_both_ways():
    assert python_name("boot-resources") == "boot_resources"
    assert cli_name("is_registered") == "is-registered"
    assert python_name("import") == "import_"  # a keyword stays usable as an attribute


def test_annotated_doc_params_are_parsed_with_required_and_type():
    doc = ("Deploy a machine\n\nDeploys an OS.\n\n"
           ":param user_data: Optional.  If present, this blob of\nbase64-encoded user-data.\n"
           ":type user_data: String\n\n :param name: Required. The name.\n:type name: String\n\n"
           " :param count: Optional. How many.\n:type count: Int\n")
    parsed = parse_doc(doc)
    assert parsed.title == "Deploy a machine"
    assert parsed.body == "Deploys an OS."
    by_name = {p.name: p for p in parsed.params}
    assert by_name["user_data"].required is False
    assert by_name["user_data"].description == "If present, this blob of base64-encoded user-data."
    assert by_name["user_data"].kind == "base64"
    assert by_name["name"].required is True and by_name["name"].kind == "string"
    assert by_name["count"].kind == "int"


def test_sphinx_doc_params_keep_indented_continuations_and_unknown_required():
    doc = ("Allocate a machine.\n\n:param arch: Architecture of the machine.\n"
           "    Repeat for several.\n:type arch: unicode (accepts multiple)\n"
           ":param dry_run: Do not allocate.\n:type dry_run: bool\n\nReturns 409 if none match.")
    parsed = parse_doc(doc)
    arch, dry_run = parsed.params
    assert arch.description == "Architecture of the machine. Repeat for several."
    assert arch.required is None and arch.kind == "list"
    assert dry_run.kind == "boolean"
    assert parsed.body == "Returns 409 if none match."


@pytest.mark.parametrize("doc", [None, "", ":param:", ":type x:", "\r\n\r\n", ":param a b c: x"])
def test_odd_docs_never_crash(doc):
    parse_doc(doc)


@pytest.mark.parametrize("type_text, kind", [
    ("Boolean", "boolean"), ("bool ('0' for False, '1' for True)", "boolean"),
    ("Int", "int"), ("positive integer", "int"), ("Float", "float"),
    ("base64-encoded unicode", "base64"), ("list of unicodes", "list"),
    ("URL String", "string"), ("", "string")])
def test_free_text_types_are_normalised(type_text, kind):
    assert param_kind("x", type_text) == kind


def _resource(name, auth_actions, anon_actions=None, params=("system_id",)):
    def handler(hname, actions):
        return {"name": hname, "doc": None, "params": list(params), "path": "/MAAS/api/2.0/x/{system_id}/",
                "uri": "http://elsewhere/MAAS/api/2.0/x/{system_id}/",
                "actions": [{"name": n, "method": m, "op": n, "restful": False, "doc": None}
                            for n, m in actions]}
    return {"name": name, "auth": handler(name, auth_actions) if auth_actions is not None else None,
            "anon": handler("Anon" + name, anon_actions) if anon_actions is not None else None}


def test_auth_wins_a_name_clash_and_the_first_duplicate_wins():
    doc = {"hash": "h", "resources": [
        _resource("MachinesHandler", [("create", "POST"), ("create", "PUT")], [("create", "GET"), ("is_registered", "GET")])]}
    handler = Description(doc).handler("machines")
    assert [a.cli_name for a in handler.actions.values()] == ["create", "is-registered"]
    assert handler.action("create").method == "POST"
    anonymous = Description(doc, anonymous=True).handler("machines")
    assert anonymous.action("create").method == "GET"


def test_anonymous_description_hides_auth_only_handlers_and_says_why():
    doc = {"resources": [_resource("MachineHandler", [("deploy", "POST")]),
                         _resource("VersionHandler", None, [("read", "GET")])]}
    anon = Description(doc, anonymous=True)
    assert list(anon.handlers) == ["version"]
    with pytest.raises(UnknownNameError, match="needs an API key"):
        anon.handler("machine")


def test_unknown_names_suggest_close_ones():
    doc = {"resources": [_resource("MachineHandler", [("deploy", "POST")]),
                         _resource("MachinesHandler", [("allocate", "POST")])]}
    with pytest.raises(UnknownNameError, match="did you mean machine"):
        Description(doc).handler("machin")
    with pytest.raises(UnknownNameError, match="did you mean deploy"):
        Description(doc).handler("machine").action("deplyo")


def test_every_real_document_parses_and_names_like_the_cli(real_doc):
    description = Description(real_doc)
    assert description.hash == real_doc["hash"]
    assert {"machine", "machines", "users", "version", "zones"} <= set(description.handlers)
    for handler in description:
        assert handler.path.startswith("/MAAS/api/2.0/")
        for action in handler.actions.values():
            assert action.method in {"GET", "POST", "PUT", "DELETE"}
            assert action.python_name.isidentifier()
            for param in action.params:
                assert param.name not in handler.uri_params


def test_real_deploy_docs_declare_user_data_as_base64(real_doc):
    deploy = Description(real_doc).handler("machine").action("deploy")
    assert deploy.params_by_name["user_data"].kind == "base64"
    assert deploy.handler.uri_params == ("system_id",)
