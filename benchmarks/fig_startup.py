"""Figure 1, start-up: ``Client(url, key)`` from a warm describe cache against ``json.loads``
of the same description bytes (goal ≤ 1.5×), for the sandbox's own description and for the
largest real one in the fixtures; and against python-libmaas's ``connect``."""

from __future__ import annotations

import json

from harness import Context, Goal, Row, SandboxProcess, interleave, op, profile_summary
from libmaas import LibmaasError

from maas_notebook import Client
from maas_notebook.profiles import DescribeCache
from maas_notebook.transport import api_root

GOAL = Goal("<=", 1.5)


def run(ctx: Context) -> list[Row]:
    rows = []
    documents = [("sandbox", None)]
    largest = ctx.largest_describe
    if largest is None:
        why = f"no describe fixtures at {ctx.fixtures / 'describe'} (../shared is absent)"
        ctx.log(f"skipping the largest-fixture start-up figures: {why}")
        rows += [Row.skip(f"startup.largest.{k}", f"start-up: {t} (largest fixture)", "—", why)
                 for k, t in (("json", "Client warm vs json.loads"),
                              ("libmaas_cold", "Client cold vs libmaas connect"),
                              ("libmaas_warm", "Client warm vs libmaas connect"))]
    else:
        documents.append((largest.stem, largest))
    for label, describe in documents:
        rows += _document(ctx, label, describe)
    return rows


def _document(ctx: Context, label: str, describe) -> list[Row]:
    key = "sandbox" if describe is None else "largest"
    with SandboxProcess(machines=10, describe=describe) as sandbox:
        url, api_key = sandbox.url, sandbox.api_key
        cache = DescribeCache(ctx.tmp / f"describe-{label}")
        Client(url, api_key, cache=cache).close()  # fetches once: the cache is warm from now on
        body = cache.path_for(api_root(url)).read_bytes()
        handlers = len(json.loads(body).get("resources", []))
        sizes = f"{label} description, {len(body) / 1e3:.0f} kB, {handlers} resources"
        calls, rounds = ctx.sizes["startup_calls"], ctx.rounds("startup_rounds")
        sizes += f"; {rounds} rounds × {calls} calls"
        close = Client.close  # after the clock stops: the sessions' sockets
        warm = op(lambda: Client(url, api_key, cache=cache), close)
        # Two separate comparisons: a cold start's HTTP exchange (and libmaas's) would evict
        # the caches the warm start and json.loads run from, and blur that figure.
        ctx.log(f"start-up, {sizes}: Client warm vs json.loads")
        vs_json = interleave({"client_warm": warm, "json_loads": op(lambda: json.loads(body))},
                             rounds, calls, progress=ctx.log)
        contenders = {"client_cold": op(lambda: Client(url, api_key, cache=False), close),
                      "client_warm": warm}
        libmaas_rows_skip, worker = _add_libmaas(ctx, contenders, url, api_key)
        if worker:
            ctx.log(f"start-up, {sizes}: Client cold and warm vs libmaas connect")
            try:
                vs_libmaas = interleave(contenders, rounds, calls, progress=ctx.log)
            finally:
                worker.close()
        rows = [Row.measured(f"startup.{key}.json", f"start-up: Client warm cache vs json.loads "
                             f"({label})", sizes, vs_json, "client_warm", "json_loads", GOAL)]
        if rows[0].met is False:
            rows[0].profile = profile_summary(lambda: Client(url, api_key, cache=cache),
                                              ctx.sizes["profile_calls"], cleanup=Client.close)
    libmaas_figures = (("libmaas_cold", "client_cold", "Client cold (fetches describe)"),
                       ("libmaas_warm", "client_warm", "Client warm cache"))
    for suffix, ours, what in libmaas_figures:
        figure = f"start-up: {what} vs libmaas connect ({label})"
        if libmaas_rows_skip:
            rows.append(Row.skip(f"startup.{key}.{suffix}", figure, sizes, libmaas_rows_skip))
        else:
            rows.append(Row.measured(f"startup.{key}.{suffix}", figure, sizes, vs_libmaas, ours, "libmaas",
                                     note="libmaas has no describe cache: its connect always "
                                          "fetches the description"))
    return rows


def _add_libmaas(ctx: Context, contenders: dict, url: str, api_key: str):
    """Add libmaas's connect as a contender: ("", worker), or (why not, None)."""
    worker = ctx.libmaas.worker()
    if worker is None:
        return ctx.libmaas.why_not(), None
    command = dict(op="connect", url=url, key=api_key, n=1)
    try:
        worker.call(**command)  # its first connect pays one-off costs (~1 s): untimed
    except LibmaasError as exc:
        worker.close()
        return ctx.libmaas.failed("connect", exc), None
    contenders["libmaas"] = lambda: worker.seconds(**command)
    return "", worker
