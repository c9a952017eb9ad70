"""A pytest plugin for the secret audit: every sandbox API key gets a recognisable token
secret, and a test whose captured output, log records or failure text show it fails.

Run the whole suite (or any part) under it, with log records captured down to DEBUG::

    python -m pytest -p tests.secret_canary -o log_level=DEBUG

Only keys the sandbox makes up carry the canary (admin, ops and added users); keys a test
spells out itself are its own business. tests/test_secrets.py runs a part of the suite this
way on every test run, and proves the plugin catches a leak.
"""

from __future__ import annotations

import logging
import secrets

import pytest

MARK = "SECRET-CANARY"


def canary_key() -> str:
    """An API key in MAAS's shape whose token secret is easy to find anywhere."""
    return f"{secrets.token_hex(9)}:{secrets.token_hex(9)}:{MARK}-{secrets.token_hex(9)}"


#: Loggers of other libraries that log the Authorization header at DEBUG. requests_oauthlib
#: signs for the tests' own independent client (tests/sandbox_helpers.py); maas_notebook
#: never uses it. Quieted, so the audit judges this package and not the test helpers.
QUIETED = ("requests_oauthlib", "oauthlib")


def pytest_configure(config) -> None:
    from maas_notebook.sandbox import state
    state.new_api_key = canary_key  # every key a sandbox makes up from now on
    for name in QUIETED:
        logging.getLogger(name).setLevel(logging.INFO)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    texts = {title: content for title, content in report.sections}
    texts["failure"] = str(report.longrepr or "")
    leaked = sorted(title for title, content in texts.items() if MARK in content)
    if leaked:
        report.outcome = "failed"
        report.longrepr = f"the token secret ({MARK}-…) shows in: {', '.join(leaked)}"
