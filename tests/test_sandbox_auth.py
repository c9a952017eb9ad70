"""Sandbox authentication: OAuth 1.0a PLAINTEXT checked as a MAAS region checks it."""

import time
import uuid
from urllib.parse import quote

import requests
from sandbox_helpers import Api, admin, anonymous, sandbox  # noqa: F401 - fixtures


def oauth_header(api_key: str, *, nonce: str | None = None, timestamp: int | None = None,
                 signature: str | None = None, method: str = "PLAINTEXT") -> dict:
    """An Authorization header written by hand, to send exactly what a test needs."""
    consumer_key, token_key, token_secret = api_key.split(":")
    fields = {
        "oauth_nonce": nonce or uuid.uuid4().hex,
        "oauth_timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "oauth_consumer_key": consumer_key, "oauth_signature_method": method,
        "oauth_version": "1.0", "oauth_token": token_key,
        "oauth_signature": quote(signature if signature is not None else "&" + token_secret,
                                 safe=""),
    }
    return {"Authorization": 'OAuth realm="", ' + ", ".join(f'{k}="{v}"' for k, v in
                                                             fields.items())}


def whoami(sandbox, headers):
    return requests.get(sandbox.url + "api/2.0/users/", params={"op": "whoami"},
                        headers=headers, timeout=10)


def test_a_good_key_authenticates_as_its_user(admin, sandbox):
    assert admin.ok("GET", "users/", "whoami")["username"] == "admin"
    ops = Api(sandbox.url, sandbox.api_key_for("ops"))
    me = ops.ok("GET", "users/", "whoami")
    assert (me["username"], me["is_superuser"]) == ("ops", False)


def test_an_unknown_consumer_key_is_an_invalid_api_key(sandbox):
    _, token_key, token_secret = sandbox.api_key.split(":")
    response = Api(sandbox.url, f"nosuchconsumer:{token_key}:{token_secret}").get(
        "users/", "whoami")
    assert response.status_code == 401
    assert response.text == "Authorization Error: Invalid API key."
    assert response.headers["WWW-Authenticate"].startswith("OAuth")


def test_an_unknown_token_is_named_in_the_error(sandbox):
    consumer_key, _, token_secret = sandbox.api_key.split(":")
    response = Api(sandbox.url, f"{consumer_key}:nosuchtoken:{token_secret}").get(
        "users/", "whoami")
    assert response.status_code == 401
    assert response.text == "Authorization Error: 'Invalid access token: nosuchtoken'"


def test_a_wrong_signature_is_refused(sandbox):
    consumer_key, token_key, _ = sandbox.api_key.split(":")
    response = Api(sandbox.url, f"{consumer_key}:{token_key}:wrongsecret").get("users/", "whoami")
    assert response.status_code == 401
    assert "Invalid signature" in response.text


def test_a_reused_nonce_is_refused(sandbox):
    headers = oauth_header(sandbox.api_key, nonce="same-nonce")
    assert whoami(sandbox, headers).status_code == 200
    replay = whoami(sandbox, headers)
    assert replay.status_code == 401
    assert replay.text == "Authorization Error: 'Nonce already used: same-nonce'"


def test_a_timestamp_more_than_300_seconds_off_is_refused(sandbox):
    stale = int(time.time()) - 301
    response = whoami(sandbox, oauth_header(sandbox.api_key, timestamp=stale))
    assert response.status_code == 401
    assert response.text.startswith(f"Authorization Error: 'Expired timestamp: given {stale} "
                                    "and now ")
    assert "greater difference than threshold 300" in response.text
    assert whoami(sandbox, oauth_header(sandbox.api_key,
                                        timestamp=int(time.time()) + 200)).status_code == 200


def test_only_plaintext_signatures_are_accepted(sandbox):
    response = whoami(sandbox, oauth_header(sandbox.api_key, method="HMAC-SHA1"))
    assert response.status_code == 401
    assert "Signature method HMAC-SHA1 not supported" in response.text


def test_a_header_missing_oauth_fields_is_a_bad_request(sandbox):
    response = whoami(sandbox, {"Authorization": 'OAuth oauth_token="x"'})
    assert response.status_code == 400
    assert "oauth_consumer_key" in response.text


def test_authenticated_handlers_refuse_anonymous_calls(anonymous):
    for path, op in [("users/", "whoami"), ("machines/", None), ("events/", "query"),
                     ("maas/", "get_config")]:
        response = anonymous.get(path, op)
        assert response.status_code == 401, path
        assert "API key" in response.text


def test_version_and_describe_are_anonymous(anonymous, sandbox):
    assert anonymous.ok("GET", "version/")["version"].startswith("3.")
    assert "resources" in anonymous.ok("GET", "describe/")
    # A bad key does not matter on handlers that have no authenticated side.
    assert Api(sandbox.url, "a:b:c").get("version/").status_code == 200


def test_the_anonymous_side_of_machines_answers_without_a_key(anonymous, admin):
    mac = admin.ok("GET", "machines/")[0]["interface_set"][0]["mac_address"]
    assert anonymous.ok("GET", "machines/", "is_registered", mac_address=mac) is True
    assert anonymous.ok("GET", "machines/", "is_registered",
                        mac_address="00:00:00:00:00:01") is False


def test_keys_of_users_added_at_run_time_work_at_once(sandbox):
    key = sandbox.add_user("carol")
    assert Api(sandbox.url, key).ok("GET", "users/", "whoami")["username"] == "carol"


def test_the_api_key_can_be_chosen(tmp_path):
    from maas_notebook.sandbox import Sandbox
    with Sandbox(machines=1, api_key="ck:tk:ts") as chosen:
        assert chosen.api_key == "ck:tk:ts"
        assert Api(chosen.url, "ck:tk:ts").ok("GET", "users/", "whoami")["username"] == "admin"
