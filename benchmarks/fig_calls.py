"""Figures 2 and 3, calls over HTTP to a sandbox in another process.

Per call: ``client.users.whoami()`` against a bare ``requests.Session`` +
``requests_oauthlib.OAuth1(..., signature_method="PLAINTEXT")`` call (goal ≤ 1.15×), and
``%maas users whoami`` in a warm ``InteractiveShell`` against the client call (goal ≤ 1.3×).

Listing: ``client.machines.read()`` and ``machines_frame(client.machines.read())`` against
the bare request + ``json.loads``, and against python-libmaas's ``machines.list()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import requests
from requests_oauthlib import OAuth1

from harness import Context, Goal, Row, SandboxProcess, interleave, op, profile_summary
from libmaas import LibmaasError

from maas_notebook import Client
from maas_notebook.profiles import DescribeCache

CALL_GOAL = Goal("<=", 1.15)
MAGIC_GOAL = Goal("<=", 1.3)


class Bare:
    """What a user writes by hand: one Session, OAuth1 PLAINTEXT, ``json.loads``."""

    def __init__(self, url: str, api_key: str):
        consumer_key, token_key, token_secret = api_key.split(":")
        self.api = url + "api/2.0/"
        self.session = requests.Session()
        self.auth = OAuth1(consumer_key, client_secret="", resource_owner_key=token_key,
                           resource_owner_secret=token_secret, signature_method="PLAINTEXT")

    def get(self, path: str, **params):
        response = self.session.get(self.api + path, params=params or None, auth=self.auth,
                                    timeout=600)
        response.raise_for_status()
        return json.loads(response.content)


def run_percall(ctx: Context) -> list[Row]:
    calls, rounds = ctx.sizes["percall_calls"], ctx.rounds("percall_rounds")
    with SandboxProcess(machines=20) as sandbox:
        client = Client(sandbox.url, sandbox.api_key, cache=DescribeCache(ctx.tmp / "describe-calls"))
        bare = Bare(sandbox.url, sandbox.api_key)
        if client.users.whoami() != bare.get("users/", op="whoami"):
            raise AssertionError("the client and the bare call disagree on whoami")
        shell = _shell(sandbox.url, sandbox.api_key)
        contenders = {
            "client": op(client.users.whoami),
            "bare": op(lambda: bare.get("users/", op="whoami")),
            "magic": op(lambda: shell.run_line_magic("maas", "users whoami")),
        }
        store_label = _cli_store(ctx, sandbox, client)
        sizes = f"{rounds} rounds × {calls} calls"
        ctx.log(f"per call: {sizes}")
        times = interleave(contenders, rounds, calls, progress=ctx.log)
        ctx.log("per call, with the CLI's profile store in place")
        with _cli_store_in_place(ctx.tmp):  # there for the whole run, as on an operator's machine
            store_times = interleave({"client": contenders["client"], "magic_maascli": contenders["magic"]},
                                     rounds, calls, progress=ctx.log)
        rows = [
            Row.measured("percall.whoami", "per call: client.users.whoami() vs bare "
                         "requests+OAuth1", sizes, times, "client", "bare", CALL_GOAL),
            Row.measured("percall.magic", "per call: %maas users whoami vs client call", sizes,
                         times, "magic", "client", MAGIC_GOAL, note="warm InteractiveShell, "
                         "run_line_magic; profile from MAAS_URL/MAAS_API_KEY, no ~/.maascli.db"),
            Row.measured("percall.magic_maascli", f"per call: %maas users whoami vs client call, "
                         f"with a ~/.maascli.db ({store_label})", sizes, store_times, "magic_maascli",
                         "client", MAGIC_GOAL, note="same shell and profile, measured in its own "
                         "interleave against the client with the CLI's profile store in place; it "
                         f"holds one profile whose stored description is {store_label}"),
        ]
        magic = lambda: shell.run_line_magic("maas", "users whoami")  # noqa: E731
        targets = {"percall.whoami": client.users.whoami, "percall.magic": magic,
                   "percall.magic_maascli": magic}
        for row in rows:
            if row.met is False:
                with _cli_store_in_place(ctx.tmp, row.key == "percall.magic_maascli"):
                    row.profile = profile_summary(targets[row.key], ctx.sizes["profile_calls"])
        client.close()
    return rows


def _shell(url: str, api_key: str):
    """A warm IPython shell with ``%load_ext maas_notebook`` and the sandbox's profile."""
    os.environ["MAAS_URL"], os.environ["MAAS_API_KEY"] = url, api_key
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False  # no history database in the temporary home
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "maas_notebook")
    shell.run_line_magic("maas", "users whoami")  # connects once, warms the describe cache
    return shell


def _cli_store(ctx: Context, sandbox, client: Client) -> str:
    """Write a ``~/.maascli.db`` as ``maas login`` would (to ``tmp/maascli.db`` until used):
    one profile holding a whole describe document, the largest fixture's when it is there."""
    largest = ctx.largest_describe
    if largest is not None:
        description, label = json.loads(largest.read_text()), f"{largest.stem}, {largest.stat().st_size / 1e3:.0f} kB"
    else:
        description, label = client.description.raw, "the sandbox's description"
    data = json.dumps({"credentials": sandbox.api_key.split(":"), "url": sandbox.url,
                       "description": description})
    path = ctx.tmp / "maascli.db"
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE profiles (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)")
        db.execute("INSERT INTO profiles (name, data) VALUES (?, ?)", ("sandbox", data))
    db.close()
    return label


@contextlib.contextmanager
def _cli_store_in_place(tmp: Path, wanted: bool = True):
    """``~/.maascli.db`` exists (the temporary home's) inside the block, when ``wanted``."""
    if not wanted:
        yield
        return
    stored, live = tmp / "maascli.db", Path.home() / ".maascli.db"
    os.replace(stored, live)
    try:
        yield
    finally:
        os.replace(live, stored)


def run_listing(ctx: Context) -> list[Row]:
    rows = []
    for size in ctx.sizes["listing_sizes"]:
        rows += _listing(ctx, size)
    return rows


def _listing(ctx: Context, size: int) -> list[Row]:
    from maas_notebook.frames import machines_frame
    calls, rounds = ctx.sizes["listing_calls"][size], ctx.rounds("listing_rounds")
    with SandboxProcess(machines=size) as sandbox:
        client = Client(sandbox.url, sandbox.api_key, cache=DescribeCache(ctx.tmp / "describe-calls"))
        bare = Bare(sandbox.url, sandbox.api_key)
        body = bare.session.get(bare.api + "machines/", auth=bare.auth, timeout=600).content
        sizes = f"{size:,} machines, {len(body) / 1e6:.1f} MB; {rounds} rounds × {calls} calls"
        del body
        contenders = {
            "bare": op(lambda: bare.get("machines/")),
            "read": op(client.machines.read),
            "read_frame": op(lambda: machines_frame(client.machines.read())),
        }
        skip, worker = _libmaas_lister(ctx, contenders, sandbox)
        ctx.log(f"listing: {sizes}")
        try:
            times = interleave(contenders, rounds, calls, progress=ctx.log)
        finally:
            if worker:
                worker.close()
            client.close()
    rows = [
        Row.measured(f"listing.{size}.read", "listing: client.machines.read() vs bare request + "
                     "json.loads", sizes, times, "read", "bare"),
        Row.measured(f"listing.{size}.frame", "listing: machines.read() + machines_frame vs bare "
                     "request + json.loads", sizes, times, "read_frame", "bare"),
    ]
    figure = "listing: client.machines.read() vs libmaas machines.list()"
    if skip:
        rows.append(Row.skip(f"listing.{size}.libmaas", figure, sizes, skip))
    else:
        rows.append(Row.measured(f"listing.{size}.libmaas", figure, sizes, times, "read", "libmaas"))
    return rows


def _libmaas_lister(ctx: Context, contenders: dict, sandbox):
    worker = ctx.libmaas.worker()
    if worker is None:
        return ctx.libmaas.why_not(), None
    try:
        worker.call(op="connect", url=sandbox.url, key=sandbox.api_key, n=1)
        worker.call(op="list", n=1)  # proves it works here (the warm-up pass comes later)
    except LibmaasError as exc:
        worker.close()
        return ctx.libmaas.failed("machines.list()", exc), None
    contenders["libmaas"] = lambda: worker.seconds(op="list", n=1)
    return "", worker
