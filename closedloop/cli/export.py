"""`python -m closedloop export`: the canonical tables as Parquet, for Spark (docs/scale-out.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from closedloop import db
from closedloop.cli import options
from closedloop.parquet_export import export


def _partition(value: str) -> tuple[str, str]:
    table, sep, column = value.partition("=")
    if not sep or not table or not column:
        raise argparse.ArgumentTypeError("write TABLE=COLUMN, e.g. touchpoints=channel")
    return table, column


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "export", _main)
    options.add_db(p)
    p.add_argument("--out", type=Path, required=True, help="folder to write (one subfolder per table)")
    p.add_argument(
        "--partition",
        type=_partition,
        action="append",
        default=[],
        metavar="TABLE=COLUMN",
        help="Hive-partition a table by one of its columns (repeatable; default none)",
    )
    p.add_argument("--force", action="store_true", help="replace tables already in --out")


def _main(args: argparse.Namespace) -> int:
    """Write every canonical table (accounts, contacts, leads, campaigns, touchpoints, deals,
    deal_contacts, deal_stage_history) of a Closed Loop database as Parquet, one folder per table
    under --out, the layout CLOSEDLOOP_SPARK_SOURCE=DIR reads. Notes, reviews, import history and
    the derived tables stay in the DuckDB file. See docs/scale-out.md."""
    path = options.db_path(args)
    started = time.monotonic()
    con = db.connect(path, read_only=True)
    try:
        counts = export(con, args.out, dict(args.partition), force=args.force)
    finally:
        con.close()
    summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"Wrote {args.out} in {time.monotonic() - started:.1f}s: {summary}")
    return 0
