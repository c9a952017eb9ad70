"""A sandbox MAAS in its own process, for the benchmarks.

    python benchmarks/sandbox_server.py [--machines N] [--seed S] [--describe FILE]

Prints one JSON line ``{"url": ..., "api_key": ..., "machines": N}`` once it listens on
127.0.0.1, then serves until its standard input is closed. Running the server in another
process keeps its work off the measured process's GIL, as with a real MAAS region.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a checkout, not installed

from maas_notebook.sandbox import Sandbox  # noqa: E402

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deploy-seconds", type=float, default=1.0)
    parser.add_argument("--describe", default=None)
    args = parser.parse_args(argv)
    sandbox = Sandbox(machines=args.machines, deploy_seconds=args.deploy_seconds,
                      seed=args.seed, describe=args.describe)
    with sandbox:
        print(json.dumps({"url": sandbox.url, "api_key": sandbox.api_key,
                          "machines": args.machines}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
