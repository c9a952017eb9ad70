"""The transport against a real HTTP server on 127.0.0.1: signing, encoding, decoding, errors,
retries, timeouts and TLS. Nothing in requests is mocked."""

import io
import logging
import socket
import ssl
import sys
import threading
import time
import traceback

import pytest
import requests
import trustme
from oauthlib.oauth1.rfc5849 import signature, utils
from requests_oauthlib import OAuth1

from maas_notebook import errors, transport
from maas_notebook.transport import Credentials, Transport, api_root, handler_url
from tests.fakeserver import Answer, FakeServer, fake_server  # noqa: F401  (fixture)

SECRET = "Zs3cr3tTokenSecretValue0123456789"
CREDENTIALS = Credentials("ConsumerKey123", "TokenKey456", SECRET)


@pytest.fixture
def signed(fake_server):
    """A signed transport to the fake server, with quick retries."""
    t = Transport(fake_server.maas_url, CREDENTIALS, timeout=(2, 5), retries=2, backoff=0.01)
    yield t
    t.close()


def everything_about(exc: BaseException) -> str:
    """The full traceback text, causes included: nothing in it may show the secret."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


# -- credentials and URLs ------------------------------------------------------------------

def test_credentials_parse_and_redact():
    creds = Credentials.parse(f"ck:tk:{SECRET}")
    assert (creds.consumer_key, creds.token_key, creds.token_secret) == ("ck", "tk", SECRET)
    assert SECRET not in repr(creds) and SECRET not in str(creds)
    assert "token_secret='<redacted>'" in repr(creds)


@pytest.mark.parametrize("key", [
    "ck:tk", f"ck:tk:{SECRET}:x", f"ck::{SECRET}", f":tk:{SECRET}", "ck:tk:", f"ck:tk:{SECRET}\n",
    f" ck:tk:{SECRET}", f"ck:t k:{SECRET}", "", None, 42, f"ck:tk:{SECRET}".encode()])
def test_credentials_refuse_malformed_keys_without_echoing(key):
    with pytest.raises(errors.ConfigurationError) as caught:
        Credentials.parse(key)
    message = str(caught.value)
    assert "consumer_key:token_key:token_secret" in message
    assert SECRET not in message and "\n" not in message


@pytest.mark.parametrize("url", [
    "http://h:5240/MAAS", "http://h:5240/MAAS/", "http://h:5240/MAAS/api/2.0",
    "http://h:5240/MAAS/api/2.0/", "  http://h:5240/MAAS  ", "HTTP://h:5240/MAAS"])
def test_api_root_normalises(url):
    assert api_root(url) == "http://h:5240/MAAS/api/2.0/"


def test_api_root_keeps_https_and_a_proxy_prefix():
    assert (api_root("https://proxy.example/region1/MAAS")
            == "https://proxy.example/region1/MAAS/api/2.0/")
    assert api_root("http://[::1]:5240/MAAS") == "http://[::1]:5240/MAAS/api/2.0/"


@pytest.mark.parametrize("url", [
    "h:5240/MAAS", "10.0.0.2:5240/MAAS", "ftp://h/MAAS", "http://", "http:///MAAS",
    "http://h/MA AS", "http://h:port/MAAS", "http://h/MAAS?x=1", "http://h/MAAS#top", "", None,
    f"ck:tk:{SECRET}"])
def test_api_root_refuses_junk(url):
    with pytest.raises(errors.ConfigurationError) as caught:
        api_root(url)
    assert "http://10.0.0.2:5240/MAAS" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_handler_url_joins_the_path_after_the_api_prefix():
    root = "https://proxy.example/region1/MAAS/api/2.0/"
    assert (handler_url(root, "/MAAS/api/2.0/machines/{system_id}/")
            == "https://proxy.example/region1/MAAS/api/2.0/machines/{system_id}/")
    assert handler_url(root, "/MAAS/api/2.0/version/") == root + "version/"
    with pytest.raises(errors.ResponseError):
        handler_url(root, "/MAAS/rpc/")


# -- signing ---------------------------------------------------------------------------------

def oauth_fields(request) -> dict:
    """The Authorization header's fields, unescaped as an OAuth server reads them."""
    fields = utils.parse_authorization_header(request.headers["Authorization"])
    return {name: utils.unescape(value) for name, value in fields}


def test_requests_are_signed_with_plaintext_oauth(signed, fake_server):
    signed.request("GET", signed.root + "users/", op="whoami")
    fields = oauth_fields(fake_server.requests[0])
    assert fields["oauth_signature_method"] == "PLAINTEXT"
    assert fields["oauth_consumer_key"] == CREDENTIALS.consumer_key
    assert fields["oauth_token"] == CREDENTIALS.token_key
    assert fields["oauth_version"] == "1.0"
    assert fields["oauth_signature"] == signature.sign_plaintext("", SECRET) == "&" + SECRET
    assert abs(int(fields["oauth_timestamp"]) - time.time()) < 5


def test_header_has_the_fields_requests_oauthlib_sends(signed, fake_server):
    signed.request("GET", signed.root + "users/", op="whoami")
    requests.get(signed.root + "users/?op=whoami", timeout=5, auth=OAuth1(
        CREDENTIALS.consumer_key, "", CREDENTIALS.token_key, SECRET,
        signature_method="PLAINTEXT"))
    ours, reference = (oauth_fields(r) for r in fake_server.requests)
    for changing in ("oauth_nonce", "oauth_timestamp"):
        ours.pop(changing), reference.pop(changing)
    assert ours.pop("realm") == "OAuth"  # what the maas CLI sends
    assert ours == reference


def test_every_request_gets_a_fresh_nonce_and_the_secret_only_in_the_header(signed, fake_server):
    signed.request("GET", signed.root + "users/", op="whoami")
    signed.request("GET", signed.root + "users/", op="whoami")
    signed.request("POST", signed.root + "machines/", op="allocate", data=[("zone", "a")])
    nonces = {oauth_fields(r)["oauth_nonce"] for r in fake_server.requests}
    assert len(nonces) == 3
    for seen in fake_server.requests:
        assert SECRET not in seen.path + repr(seen.query)
        assert SECRET.encode() not in seen.body
        assert [n for n, v in seen.headers.items() if SECRET in v] == ["Authorization"]


def test_anonymous_requests_are_not_signed(fake_server, monkeypatch, tmp_path):
    (tmp_path / "netrc").write_text("machine 127.0.0.1 login someone password hunter2\n")
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))  # must not be sent to MAAS either
    anonymous = Transport(fake_server.maas_url)
    anonymous.request("GET", anonymous.root + "version/")
    assert "Authorization" not in fake_server.requests[0].headers
    assert "anonymous" in repr(anonymous)


# -- encoding --------------------------------------------------------------------------------

def test_get_puts_data_in_the_query_repeating_names_in_order(signed, fake_server):
    signed.request("GET", signed.root + "machines/", data=[
        ("hostname", "a"), ("hostname", "b"), ("status", "ready"), ("zone", None),
        ("deployed", True), ("cpu_count", 4), ("tags", ["x", "y z"])])
    seen = fake_server.requests[0]
    assert seen.method == "GET" and seen.path == "/MAAS/api/2.0/machines/"
    assert seen.query == [("hostname", "a"), ("hostname", "b"), ("status", "ready"),
                          ("deployed", "true"), ("cpu_count", "4"), ("tags", "x"), ("tags", "y z")]
    assert seen.body == b""


def test_op_comes_first_in_the_query_and_delete_uses_the_query_too(signed, fake_server):
    signed.request("DELETE", signed.root + "machine/abc/", op="unlock", data=[("comment", "é&=")])
    seen = fake_server.requests[0]
    assert (seen.method, seen.query) == ("DELETE", [("op", "unlock"), ("comment", "é&=")])


@pytest.mark.parametrize("value", [b"bytes", io.BytesIO(b"file")])
def test_get_refuses_files_before_sending(signed, fake_server, value):
    with pytest.raises(errors.ParameterError, match="'content'"):
        signed.request("GET", signed.root + "files/", data=[("content", value)])
    assert fake_server.requests == []


def test_post_is_multipart_with_one_part_per_value(signed, fake_server, tmp_path):
    upload = tmp_path / "seed.img"
    upload.write_bytes(bytes(range(256)) * 3)
    with upload.open("rb") as opened:
        signed.request("POST", signed.root + "boot-resources/", op="create", data=[
            ("name", "ubuntu/jammy"), ("tags", "a"), ("tags", "b"), ("erase", False),
            ("count", 2), ("ratio", 0.5), ("skip", None), ("title", "Grüße \"x\""),
            ("blob", b"\x00\xffraw"), ("content", opened)])
    seen = fake_server.requests[0]
    assert seen.query == [("op", "create")]
    assert seen.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert seen.parts == [
        ("name", None, b"ubuntu/jammy"), ("tags", None, b"a"), ("tags", None, b"b"),
        ("erase", None, b"false"), ("count", None, b"2"), ("ratio", None, b"0.5"),
        ("title", None, "Grüße \"x\"".encode()), ("blob", "blob", b"\x00\xffraw"),
        ("content", "seed.img", upload.read_bytes())]
    assert seen.form["tags"] == ["a", "b"]


def test_put_is_multipart_too(signed, fake_server):
    signed.request("PUT", signed.root + "machine/abc/", data=[("hostname", "new")])
    seen = fake_server.requests[0]
    assert (seen.method, seen.query, seen.parts) == ("PUT", [], [("hostname", None, b"new")])


def test_empty_post_is_still_multipart(signed, fake_server):
    signed.request("POST", signed.root + "machine/abc/", op="release")
    seen = fake_server.requests[0]
    assert seen.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert seen.parts == [] and seen.body.endswith(b"--\r\n")


# -- decoding --------------------------------------------------------------------------------

@pytest.mark.parametrize("answer, value, media", [
    (Answer(200, {"a": [1, "é"]}), {"a": [1, "é"]}, "application/json"),
    (Answer(200, b'{"b": 2}', {"Content-Type": "application/vnd.maas+json"}), {"b": 2},
     "application/vnd.maas+json"),
    (Answer(200, "plain é"), "plain é", "text/plain"),
    (Answer(200, "café".encode("latin-1"), {"Content-Type": "text/plain; charset=ISO-8859-1"}),
     "café", "text/plain"),
    (Answer(200, b"<html>MAAS UI</html>", {"Content-Type": "text/html"}), "<html>MAAS UI</html>",
     "text/html"),
    (Answer(200, b"\x89PNG\x00", {"Content-Type": "image/png"}), b"\x89PNG\x00", "image/png"),
    (Answer(200, b"\x00\x01"), b"\x00\x01", ""),
    (Answer(204), None, ""),
    (Answer(200, b"", {"Content-Type": "application/json"}), None, "application/json"),
])
def test_answers_are_decoded_by_content_type(signed, fake_server, answer, value, media):
    fake_server.queue(answer)
    reply = signed.request("GET", signed.root + "x/")
    assert (reply.value, reply.content_type) == (value, media)


def test_reply_carries_the_api_hash(signed, fake_server):
    fake_server.queue(Answer(200, {"k": 1}, {"X-MAAS-API-Hash": "abc123"}), Answer(200, {}))
    assert signed.get_json(signed.root + "describe/") == ({"k": 1}, "abc123")
    assert signed.request("GET", signed.root + "x/").api_hash is None


@pytest.mark.parametrize("body", [b"<html><body>Login</body></html>", b'{"truncated": [1, 2',
                                  b"\xff\xfe not utf-8"])
def test_json_that_is_not_json_is_a_response_error(signed, fake_server, body):
    fake_server.queue(Answer(200, body, {"Content-Type": "application/json"}))
    with pytest.raises(errors.ResponseError) as caught:
        signed.request("GET", signed.root + "machines/")
    error = caught.value
    assert error.status == 200 and error.url == signed.root + "machines/"
    assert "\n" not in str(error) and "machines/" in str(error) and "200" in str(error)
    assert isinstance(error.__cause__, ValueError)


def test_a_redirect_is_reported_not_followed(signed, fake_server):
    fake_server.queue(Answer(301, b"", {"Location": "https://maas.example/MAAS/api/2.0/x/"}))
    with pytest.raises(errors.ResponseError, match="https://maas.example/MAAS/api/2.0/x/"):
        signed.request("POST", signed.root + "x/", op="go")
    assert len(fake_server.requests) == 1


# -- HTTP errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("status, kind", [
    (400, errors.BadRequest), (401, errors.Unauthorized), (403, errors.Forbidden),
    (404, errors.NotFound), (405, errors.HTTPError), (409, errors.Conflict),
    (500, errors.ServerError), (501, errors.NotImplemented_), (502, errors.ServerError),
    (503, errors.ServiceUnavailable)])
def test_error_statuses_map_to_their_class(signed, fake_server, status, kind):
    body = f"Reason for {status}:\nsecond line ü"
    fake_server.queue(Answer(status, body))
    with pytest.raises(errors.HTTPError) as caught:
        signed.request("POST", signed.root + "machine/abc/", op="deploy", action="machine deploy")
    error = caught.value
    assert type(error) is kind
    assert (error.status, error.method, error.body, error.action) == (
        status, "POST", body, "machine deploy")
    assert error.url == signed.root + "machine/abc/?op=deploy"
    assert "\n" not in str(error) and f"Reason for {status}" in str(error)
    assert SECRET not in everything_about(error)


def test_error_body_with_a_bad_charset_is_still_kept(signed, fake_server):
    fake_server.queue(Answer(400, b"bad \xff", {"Content-Type": "text/plain; charset=nonsense"}))
    with pytest.raises(errors.BadRequest) as caught:
        signed.request("GET", signed.root + "x/")
    assert caught.value.body == "bad \ufffd"


# -- retries ---------------------------------------------------------------------------------

def test_get_is_retried_after_a_503_honouring_retry_after(signed, fake_server):
    fake_server.queue(Answer(503, "busy", {"Retry-After": "0.3"}), Answer(200, {"ok": True}))
    started = time.monotonic()
    assert signed.request("GET", signed.root + "users/", op="whoami").value == {"ok": True}
    assert time.monotonic() - started >= 0.3
    assert len(fake_server.requests) == 2


def test_get_is_retried_after_a_dropped_connection(signed, fake_server):
    fake_server.queue(Answer(drop=True), Answer(200, {"ok": True}))
    assert signed.request("GET", signed.root + "users/", op="whoami").value == {"ok": True}
    assert len(fake_server.requests) == 2


def test_get_gives_up_after_its_retries(signed, fake_server):
    fake_server.handler = lambda request: Answer(503, "still starting", {"Retry-After": "0"})
    with pytest.raises(errors.ServiceUnavailable, match="still starting"):
        signed.request("GET", signed.root + "users/", op="whoami")
    assert len(fake_server.requests) == 3  # retries=2


def test_retry_pauses_back_off_and_cap_retry_after(fake_server, monkeypatch):
    pauses = []
    monkeypatch.setattr(transport.time, "sleep", pauses.append)
    t = Transport(fake_server.maas_url, CREDENTIALS, retries=3, backoff=0.25)
    fake_server.queue(Answer(503), Answer(drop=True), Answer(503, headers={"Retry-After": "3600"}))
    t.request("GET", t.root + "x/")
    assert pauses == [0.25, 0.5, transport.MAX_RETRY_DELAY]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
@pytest.mark.parametrize("answer, kind", [(Answer(drop=True), errors.ConnectError),
                                          (Answer(503, "busy"), errors.ServiceUnavailable)])
def test_writes_are_never_retried(signed, fake_server, method, answer, kind):
    fake_server.queue(answer, Answer(200, {"deployed": "twice"}))
    with pytest.raises(kind) as caught:
        signed.request(method, signed.root + "machine/abc/", op="deploy")
    assert len(fake_server.requests) == 1
    assert caught.value.method == method


# -- transport failures ----------------------------------------------------------------------

def test_read_timeout_is_a_timeout_error_and_not_retried(fake_server):
    t = Transport(fake_server.maas_url, CREDENTIALS, timeout=(2, 0.2), retries=2, backoff=0.01)
    fake_server.queue(Answer(200, {}, delay=1.0))
    with pytest.raises(errors.TimeoutError, match=r"0\.2 s") as caught:
        t.request("GET", t.root + "machines/")
    assert isinstance(caught.value.__cause__, requests.Timeout)
    assert len(fake_server.requests) == 1
    assert SECRET not in everything_about(caught.value)


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full backlog")
def test_connect_timeout_is_a_timeout_error():
    # A listening socket whose accept queue is full never completes the handshake.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        t = Transport(f"http://127.0.0.1:{port}/MAAS", CREDENTIALS, timeout=(0.2, 5), retries=1)
        try:
            with pytest.raises(errors.TimeoutError, match="could not connect within 0.2 s"):
                t.request("GET", t.root + "users/", op="whoami")
        finally:
            for filler in fillers:
                filler.close()


def test_connection_refused_is_a_connect_error():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    t = Transport(f"http://127.0.0.1:{port}/MAAS", CREDENTIALS, retries=1, backoff=0.01)
    with pytest.raises(errors.ConnectError) as caught:
        t.request("GET", t.root + "users/", op="whoami")
    message = str(caught.value)
    assert "connection refused" in message and "check the URL" in message and "\n" not in message
    assert f"GET http://127.0.0.1:{port}/MAAS/api/2.0/users/?op=whoami" in message
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert SECRET not in everything_about(caught.value)


def test_dropped_connection_says_so(signed, fake_server):
    fake_server.handler = lambda request: Answer(drop=True)
    with pytest.raises(errors.ConnectError, match="closed the connection without answering"):
        signed.request("GET", signed.root + "x/")
    assert len(fake_server.requests) == 3


def test_many_threads_share_one_pool_without_discarding_connections(signed, fake_server, caplog):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        signed.request("GET", signed.root + "users/", op="whoami").status)) for _ in range(32)]
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == [200] * 32
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


# -- TLS -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def tls_server(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with FakeServer(ssl_context=context) as server:
        yield server


def test_unknown_ca_is_a_tls_error(tls_server):
    t = Transport(tls_server.maas_url, CREDENTIALS)
    with pytest.raises(errors.TLSError, match="cacerts=") as caught:
        t.request("GET", t.root + "version/")
    assert "certificate" in str(caught.value) and "\n" not in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.exceptions.SSLError)


def test_cacerts_as_a_path(tls_server, ca, tmp_path):
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    t = Transport(tls_server.maas_url, CREDENTIALS, cacerts=str(tmp_path / "ca.pem"))
    assert t.request("GET", t.root + "version/").status == 200


def test_cacerts_as_pem_text_is_written_once_to_a_private_file(tls_server, ca):
    pem = ca.cert_pem.bytes().decode()
    t = Transport(tls_server.maas_url, CREDENTIALS, cacerts=pem)
    assert t.request("GET", t.root + "version/").status == 200
    [written] = (transport._cache_dir() / "cacerts").iterdir()
    assert written.read_text() == pem and written.stat().st_mode & 0o777 == 0o600
    mtime = written.stat().st_mtime_ns
    Transport(tls_server.maas_url, CREDENTIALS, cacerts=pem)
    assert [written] == list(written.parent.iterdir()) and written.stat().st_mtime_ns == mtime


def test_cacerts_path_must_exist(tmp_path):
    with pytest.raises(errors.ConfigurationError, match="not found"):
        Transport("https://127.0.0.1/MAAS", cacerts=str(tmp_path / "missing.pem"))


def test_insecure_skips_verification_and_warns_once(tls_server, recwarn):
    t = Transport(tls_server.maas_url, CREDENTIALS, insecure=True)
    again = Transport(tls_server.maas_url, CREDENTIALS, insecure=True)
    for each in (t, again, t):
        assert each.request("GET", each.root + "version/").status == 200
    assert [w.category for w in recwarn] == [transport.InsecureTransportWarning]


# -- redaction -------------------------------------------------------------------------------

def test_debug_log_shows_the_call_but_never_the_secret(signed, fake_server, caplog):
    fake_server.queue(Answer(200, {}), Answer(401, "Authorization Error: 'Expired timestamp'"))
    with caplog.at_level(logging.DEBUG):
        signed.request("GET", signed.root + "users/", op="whoami")
        with pytest.raises(errors.Unauthorized):
            signed.request("POST", signed.root + "machines/", op="allocate")
    ours = [r.getMessage() for r in caplog.records if r.name == "maas_notebook.transport"]
    assert any(m.startswith(f"GET {signed.root}users/?op=whoami -> 200 in ") for m in ours)
    assert any("POST" in m and "-> 401" in m for m in ours)
    assert all("'Authorization': '<redacted>'" in m for m in ours)
    assert not [r for r in caplog.records if SECRET in r.getMessage()]


def test_repr_of_transport_hides_the_secret(signed):
    assert SECRET not in repr(signed) and SECRET not in str(signed)
    assert SECRET not in repr(signed._auth) and signed.root in repr(signed)


def test_nothing_is_logged_or_formatted_without_debug(signed, fake_server, caplog):
    with caplog.at_level(logging.INFO, logger="maas_notebook.transport"):
        signed.request("GET", signed.root + "users/", op="whoami")
    assert caplog.records == []


def test_cacerts_file_lives_under_the_cache_dir(_isolated_home, monkeypatch):
    assert transport._cache_dir() == _isolated_home / ".cache" / "maas-notebook"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec says: ignore it
    assert transport._cache_dir() == _isolated_home / ".cache" / "maas-notebook"
