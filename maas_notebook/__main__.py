"""``maas-notebook`` (also ``python -m maas_notebook``): the project's commands.

::

    maas-notebook sandbox [--port 5240] [--machines 40] ...   run a local sandbox MAAS
    maas-notebook demo [--port 5240] [--lab-port 8888] ...    the sandbox plus JupyterLab with the notebooks

Each command lives in its own module and registers a subparser whose ``func`` runs it.
"""

from __future__ import annotations

import argparse
import sys

from . import demo
from .sandbox import cli as sandbox_cli

#: Functions that each add one subcommand to the parser.
COMMANDS = [sandbox_cli.register, demo.register]


def build_parser() -> argparse.ArgumentParser:
    """The ``maas-notebook`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="maas-notebook",
        description="The whole API of any MAAS, in Jupyter and IPython; and a sandbox MAAS.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
