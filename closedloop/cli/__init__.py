"""`python -m closedloop COMMAND ...`: every command is documented in README.md.

Each command lives in its own module, which exposes `register(subparsers)`; the
parser it adds sets `func(args) -> int`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from closedloop import db
from closedloop.cli import attribute, credit_over_time, export, importer, lift, paths, refresh, report, sample

# The modules that add a command, in the order `--help` lists them.
COMMANDS = (sample, attribute, importer, report, lift, paths, credit_over_time, refresh, export)

# Commands that read the canonical tables take the engine flags (closedloop/engine).
READING_COMMANDS = ("attribute", "report", "lift", "paths", "credit-over-time")
# Every other command, and why it stays on the DuckDB file (tests/test_spark_translate.py holds
# each command to one of the two lists, so a new command must choose)
DUCKDB_ONLY_COMMANDS = {
    "sample": "writes a new DuckDB database",
    "import": "writes into the DuckDB database",
    "refresh": "rebuilds the DuckDB database's journey tables",
    "export": "reads the DuckDB database to write Parquet for Spark",
    "attribute-paths": "reads a file of aggregated paths, not the canonical tables",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m closedloop",
        description="Closed Loop: closed-loop attribution of marketing and sales touchpoints to CRM deals.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    from closedloop.engine import add_engine_arguments

    for command in READING_COMMANDS:
        if command in sub.choices:
            add_engine_arguments(sub.choices[command])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in READING_COMMANDS:
            _check_engine(args)
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, db.DatabaseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _check_engine(args: argparse.Namespace) -> None:
    """Resolve the engine flags and settings; on Spark, the command runs with its questions routed
    there (closedloop.db.use_engine) and --db as the local file of what the app writes."""
    from closedloop.engine import EngineSettings

    args.engine_settings = EngineSettings.from_args(args)
    if args.engine_settings.engine == "spark":
        args.func = _on_spark(args.func)


def _on_spark(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        from closedloop.engine import open_engine

        path = Path(args.db or db.default_db_path())
        if not path.exists():
            # the local file of the app-written tables (notes, reviews, import history): empty at first
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = db.connect(path, read_only=False)
            try:
                db.create_schema(fresh)
            finally:
                fresh.close()
        args.db = path
        local = db.connect(path)
        try:
            previous = db.use_engine(open_engine(args.engine_settings, local))
            try:
                return int(func(args))
            finally:
                db.use_engine(previous)
        finally:
            local.close()

    return run
