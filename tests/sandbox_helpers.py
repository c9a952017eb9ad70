"""Helpers for the sandbox tests: a tiny MAAS client made of plain ``requests`` and OAuth1
PLAINTEXT, so the sandbox is checked over real HTTP without the project's own client.

Test modules import the fixtures by name (``from sandbox_helpers import sandbox, admin``).
"""

from __future__ import annotations

import time

import pytest
import requests
from requests_oauthlib import OAuth1

from maas_notebook.sandbox import Sandbox


class Api:
    """Sends MAAS API calls to a sandbox as a requests-based client would: ``op`` in the query
    string, GET/DELETE data in the query string, POST/PUT data as multipart form parts."""

    def __init__(self, url: str, api_key: str | None = None):
        self.base = url + "api/2.0/"
        self.api_key = api_key
        self.session = requests.Session()

    def auth(self):
        if self.api_key is None:
            return None
        consumer_key, token_key, token_secret = self.api_key.split(":")
        return OAuth1(consumer_key, client_secret="", resource_owner_key=token_key,
                      resource_owner_secret=token_secret, signature_method="PLAINTEXT")

    def request(self, method: str, path: str, op: str | None = None, **data):
        query = {"op": op} if op else {}
        if method in ("GET", "DELETE"):
            query.update(data)
            return self.session.request(method, self.base + path, params=query,
                                        auth=self.auth(), timeout=30)
        parts = [(name, (None, str(value))) for name, values in data.items()
                 for value in (values if isinstance(values, (list, tuple)) else [values])]
        return self.session.request(method, self.base + path, params=query, files=parts or None,
                                    auth=self.auth(), timeout=30)

    def get(self, path, op=None, **data):
        return self.request("GET", path, op, **data)

    def post(self, path, op=None, **data):
        return self.request("POST", path, op, **data)

    def put(self, path, **data):
        return self.request("PUT", path, None, **data)

    def delete(self, path, **data):
        return self.request("DELETE", path, None, **data)

    def ok(self, method: str, path: str, op: str | None = None, **data):
        """The decoded JSON of a call that must succeed."""
        response = self.request(method, path, op, **data)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def first(machines, **fields):
    """The first machine whose fields equal the given values."""
    return next(m for m in machines if all(m[k] == v for k, v in fields.items()))


@pytest.fixture
def sandbox():
    """A fresh 40-machine sandbox with fast deploys (0.3 s)."""
    with Sandbox(machines=40, deploy_seconds=0.3, seed=7) as running:
        yield running


@pytest.fixture
def admin(sandbox):
    """An API client holding the admin's key."""
    return Api(sandbox.url, sandbox.api_key)


@pytest.fixture
def ops(sandbox):
    """An API client holding the key of ``ops``, a user who is not an administrator."""
    return Api(sandbox.url, sandbox.api_key_for("ops"))


@pytest.fixture
def anonymous(sandbox):
    """An API client without credentials."""
    return Api(sandbox.url)
