"""`python -m closedloop COMMAND ...`: every command is documented in README.md.

Each command lives in its own module, which exposes `register(subparsers)`; the
parser it adds sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from closedloop import db

# Modules that add a command, in the order `--help` lists them.
COMMAND_MODULES = [
    "closedloop.sample",
    "closedloop.attribution.cli",
    "closedloop.importer.cli",
    "closedloop.report_cli",
    "closedloop.lift_cli",
    "closedloop.derived",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m closedloop",
        description="Closed Loop: closed-loop attribution of marketing and sales touchpoints to CRM deals.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, db.DatabaseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
