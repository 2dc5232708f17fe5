"""`python -m closedloop import`: validate and import CRM / marketing exports (docs/import.md)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import duckdb

from closedloop import db
from closedloop.cli import options
from closedloop.importer.load import import_files
from closedloop.importer.mapping import list_presets, load_mapping
from closedloop.importer.validate import ValidationReport, validate

# exit codes: 0 imported, 1 refused (see the report), 2 bad usage or unreadable mapping
REFUSED = 1


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "import", run)
    p.add_argument("files", nargs="*", metavar="FILE", help="export files or folders of them")
    p.add_argument("--db", type=Path, help="the Closed Loop database to import into (created if new)")
    p.add_argument("--mapping", help="a preset name (see --list-mappings) or a mapping .toml file")
    p.add_argument(
        "--quarantine",
        action="store_true",
        help="import the good rows and put the bad ones in import_rejects (default: refuse)",
    )
    p.add_argument("--report", type=Path, metavar="FILE.csv", help="also write every problem to this CSV file")
    p.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    p.add_argument("--list-mappings", action="store_true", help="list the preset mappings and exit")
    p.add_argument(
        "--max-problems",
        type=int,
        default=50,
        metavar="N",
        help="print at most N problems (default 50; --report has them all)",
    )


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate FILEs with a mapping and import them in one transaction. Every problem is printed
    with its file, row, column, value and fix; with errors nothing is written unless --quarantine is
    given. See docs/import.md."""
    out = out or sys.stdout
    err = err or sys.stderr
    if args.list_mappings:
        for preset in list_presets():
            print(f"{preset.name:12} {preset.description}", file=out)
        return 0
    missing = [n for n, v in (("--db", args.db), ("--mapping", args.mapping)) if not v]
    if missing or not args.files:
        print(
            f"error: import needs {', '.join(missing + ([] if args.files else ['FILE']))}; "
            "see `python -m closedloop import --help`.",
            file=err,
        )
        return 2
    mapping = load_mapping(args.mapping)
    tty = err.isatty()
    started = time.monotonic()
    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        now = time.monotonic()
        if tty and (now - last[0] > 0.2 or fraction >= 1.0):
            last[0] = now
            err.write(f"\r{message[:60]:60} {fraction * 100:5.1f}%")
            err.flush()

    if args.dry_run:
        # read-only, so a dry run works while the dashboard has the database open
        con = db.connect(args.db, read_only=True) if args.db.exists() else duckdb.connect()
        try:
            report = validate(con, args.files, mapping, progress)
        finally:
            con.close()
        _end_progress(tty, err)
        _print_report(report, args, out)
        print(
            f"Dry run: {report.rows_read} row(s) read; {report.errors} error(s), "
            f"{report.warnings} warning(s). Nothing was written.",
            file=out,
        )
        return 0 if report.can_import("quarantine" if args.quarantine else "fail") else REFUSED
    result = import_files(
        args.db, args.files, mapping, on_error="quarantine" if args.quarantine else "fail", progress=progress
    )
    _end_progress(tty, err)
    _print_report(result.report, args, out)
    if result.ok and len(result.tables):
        for r in result.tables.itertuples(index=False):
            print(
                f"  {r.table:20} {r.inserted:>9} inserted {r.updated:>9} updated {r.unchanged:>9} unchanged",
                file=out,
            )
    print(result.summary() + f" ({time.monotonic() - started:.1f} s)", file=out)
    return 0 if result.ok else REFUSED


def _end_progress(tty: bool, err: TextIO) -> None:
    if tty:
        err.write("\r" + " " * 70 + "\r")
        err.flush()


def _print_report(report: ValidationReport, args: argparse.Namespace, out: TextIO) -> None:
    # a file the mapping ignores has no format, table or rows: those columns are NaN, not None
    files = report.files.astype(object).where(report.files.notna(), None)
    for f in files.itertuples(index=False):
        if not f.table:
            print(f"{f.file}: {f.source or 'not imported'}", file=out)
            continue
        how = f.format or ""
        if f.format == "csv":
            delim = {"\t": "tab"}.get(f.delimiter, f.delimiter)
            how += f", {f.encoding}, delimiter '{delim}'"
        print(f"{f.file}: {f.source} -> {f.table}; {f.rows} row(s) ({how})", file=out)
    skipped = report.counts[report.counts["rows_skipped"] > 0] if len(report.counts) else report.counts
    for r in skipped.itertuples(index=False):
        print(f"{r.table}: {r.rows_skipped:,} of {r.rows:,} row(s) skipped: {r.skipped_why}", file=out)
    if report.total_problems:
        print(f"\n{report.errors} error(s), {report.warnings} warning(s):", file=out)
        for line in report.lines(limit=args.max_problems):
            print("  " + line, file=out)
        print(file=out)
    if args.report:
        report.to_csv(args.report)
        print(f"Wrote {len(report.problems)} problem(s) to {args.report}", file=out)
