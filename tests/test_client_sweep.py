"""Every action (auth and anon) of every real describe document, sent by the client to a
real local HTTP server: method, path, query and decoded form fields checked for each."""

import json
import warnings
from urllib.parse import quote

import pytest

from maas_notebook import Client
from maas_notebook.description import Description
from tests.fakeserver import fake_server  # noqa: F401 - a fixture

DOCS = ["maas-2.0-pre.json", "maas-2.1.json", "maas-3.0.json"]
# URI values with characters that must be percent-encoded in a path segment.
URI_VALUE = "a b/c?{}"


def _sample(kind: str, name: str):
    """A value for a parameter of ``kind`` and what the server should receive for it."""
    if kind == "boolean":
        return True, ["true"]
    if kind == "int":
        return 3, ["3"]
    if kind == "float":
        return 1.5, ["1.5"]
    if kind == "list":
        return ["x1", "x2"], ["x1", "x2"]
    return f"v-{name}", [f"v-{name}"]


def _sweep_cases(doc: dict, anonymous: bool):
    for handler in Description(doc, anonymous=anonymous):
        for action in handler.actions.values():
            yield handler, action


@pytest.mark.parametrize("doc_name", DOCS)
@pytest.mark.parametrize("anonymous", [False, True], ids=["auth", "anon"])
def test_every_action_goes_on_the_wire_like_the_cli(doc_name, anonymous, shared_fixtures, fake_server):
    doc = json.loads((shared_fixtures / "describe" / doc_name).read_text())
    client = Client(fake_server.maas_url, None if anonymous else "ck:tk:ts", description=doc, cache=False)
    swept = 0
    for handler, action in _sweep_cases(doc, anonymous):
        uri_args = [URI_VALUE] * len(handler.uri_params)
        # The first three declared data parameters, file-like ones aside (checked elsewhere).
        data, expected = {}, {}
        wire_ok = action.method in ("POST", "PUT")
        for param in [p for p in action.params if p.kind not in ("file", "base64")][:3]:
            if not param.name.isidentifier():
                continue
            data[param.name], expected[param.name] = _sample(param.kind, param.name)
        fake_server.requests.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a declared parameter must never warn
            getattr(getattr(client, handler.python_name), action.python_name)(*uri_args, **data)
        [seen] = fake_server.requests
        path = handler.path
        for name in handler.uri_params:
            path = path.replace("{%s}" % name, quote(URI_VALUE, safe=""))
        where = f"{doc_name} {handler.cli_name} {action.cli_name}"
        assert seen.method == action.method, where
        assert seen.path == path, where
        query = seen.params
        if action.op:
            assert query.pop("op") == [action.op], where
        else:
            assert "op" not in query, where
        if wire_ok:
            assert seen.headers["Content-Type"].startswith("multipart/form-data"), where
            assert query == {}, where
            assert seen.form == expected, where
        else:
            assert query == expected, where
        has_auth = "Authorization" in seen.headers
        assert has_auth is (not anonymous), where
        swept += 1
    assert swept > (5 if anonymous else 200)
