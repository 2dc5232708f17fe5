"""`python -m closedloop COMMAND ...`: every command is documented in README.md.

Each command lives in a module of this package, which exposes `register(subparsers)`; the parser
it adds (options.add_command) sets `func(args) -> int`. COMMANDS names each command's module and
its line in `--help`, so that a run imports only the module of the command it runs (and what that
module imports: statsmodels for `lift`, the engine for `attribute`, ...) and `--help` lists every
command without importing any.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # its line in `python -m closedloop --help`
    module: str = ""  # closedloop.cli.<module> registers it; default: the name with - as _

    def __post_init__(self) -> None:
        if not self.module:
            object.__setattr__(self, "module", self.name.replace("-", "_"))


# The commands in the order `--help` lists them.
COMMANDS = (
    Command("sample", "write the seeded sample database"),
    Command("attribute", "credit per channel, touchpoint type, campaign, asset or team under a model (or all)"),
    Command("attribute-paths", "attribute aggregated path data (ChannelAttribution / DP6 format)", "attribute"),
    Command("import", "import CRM and marketing exports (CSV, Parquet, .xlsx) through a mapping", "importer"),
    Command("report", "write a review meeting's pack (HTML or PDF)"),
    Command("lift", "win-rate lift of each touchpoint type, channel, campaign or asset (the Touchpoint lift page)"),
    Command("paths", "path reports: transformed paths with conversions and win rate, time lag, path length"),
    Command(
        "credit-over-time",
        "attributed wins, revenue, spend and ROAS per month or quarter (or every model's ranks by quarter)",
    ),
    Command("refresh", "rebuild the derived tables the models read"),
    Command("export", "write the canonical tables as Parquet, for the Spark engine"),
)
HELP = {c.name: c.help for c in COMMANDS}

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


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with `commands` of those only: the others are listed (with
    their help line, so `--help` and an unknown command's error read the same) but their modules
    are not imported."""
    parser = argparse.ArgumentParser(
        prog="python -m closedloop",
        description="Closed Loop: closed-loop attribution of marketing and sales touchpoints to CRM deals.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    loaded = {c.module for c in COMMANDS if commands is None or c.name in commands}
    for command in COMMANDS:
        if command.name in sub.choices:
            continue  # its module registered it with an earlier command
        if command.module in loaded:
            importlib.import_module(f"closedloop.cli.{command.module}").register(sub)
        else:
            sub.add_parser(command.name, help=command.help)
    reading = [c.name for c in COMMANDS if c.module in loaded and c.name in READING_COMMANDS]
    if reading:
        from closedloop.engine import add_engine_arguments

        for name in reading:
            add_engine_arguments(sub.choices[name])
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # the command is the first word that is not an option (the top-level parser takes none but -h)
    named = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser([named] if named in HELP else []).parse_args(argv)
    from closedloop import db

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

        from closedloop import db
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
