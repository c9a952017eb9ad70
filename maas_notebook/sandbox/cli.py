"""``maas-notebook sandbox``: run the sandbox MAAS from a shell until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys

from . import Sandbox
from .server import LOOPBACK


def register(subparsers) -> None:
    """Add the ``sandbox`` subcommand to the ``maas-notebook`` command line."""
    parser = subparsers.add_parser(
        "sandbox", help="run a local sandbox MAAS",
        description="Run a local stand-in for a MAAS region API: generated machines, "
                    "simulated deploys, its own describe document. It prints its URL and the "
                    "admin's API key, and serves until interrupted (Ctrl-C).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on: 127.0.0.1, localhost or ::1 "
                             "(loopback only; default %(default)s)")
    parser.add_argument("--port", type=int, default=5240, help="port (default %(default)s)")
    parser.add_argument("--machines", type=int, default=40,
                        help="how many machines to generate (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the generated inventory (default %(default)s)")
    parser.add_argument("--deploy-seconds", type=float, default=20.0,
                        help="how long a deploy takes (default %(default)s)")
    parser.add_argument("--fail-rate", type=float, default=0.0,
                        help="share of deploys that fail, 0 to 1 (default %(default)s)")
    parser.add_argument("--fail-machines", metavar="NAME", nargs="+", default=(),
                        help="hostnames or system_ids whose every deploy fails")
    parser.add_argument("--api-key", metavar="CK:TK:TS",
                        help="the admin's API key (default: a fresh random one)")
    parser.add_argument("--describe", metavar="FILE",
                        help="serve this real MAAS describe document instead of the "
                             "sandbox's own; actions it cannot simulate answer 501")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print how to reach it, serve until interrupted."""
    if args.host not in LOOPBACK:
        return _fail(f"--host {args.host} refused: the sandbox listens on loopback only "
                     f"({', '.join(sorted(LOOPBACK))})")
    try:
        sandbox = Sandbox(machines=args.machines, deploy_seconds=args.deploy_seconds,
                          seed=args.seed, port=args.port, host=args.host, api_key=args.api_key,
                          describe=args.describe, fail_rate=args.fail_rate,
                          fail_machines=args.fail_machines,
                          log_requests=args.verbose)
        sandbox.start()
    except ValueError as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    print(f"MAAS sandbox: {sandbox.url}\n"
          f"API key (admin): {sandbox.api_key}\n"
          f"{args.machines} machines (seed {args.seed}); deploys take about "
          f"{args.deploy_seconds:g} s.\n"
          f"Official CLI: maas login sandbox {sandbox.url} {sandbox.api_key}\n"
          f"Press Ctrl-C to stop.", flush=True)
    # A terminate signal stops it as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        print("\nsandbox stopped", flush=True)
    return 0


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _fail(message: str) -> int:
    print(f"maas-notebook sandbox: {message}", file=sys.stderr)
    return 2
