"""`python -m closedloop export`: the canonical tables as Parquet, for Spark (docs/scale-out.md).

Writes one folder per canonical table (`OUT/<table>/`), the layout
`CLOSEDLOOP_SPARK_SOURCE=OUT` reads. App-written tables (retro_notes, reviews,
import history) and the derived tables stay in the DuckDB file. Large tables are split
into files of at most 128 MB, which Spark reads in parallel. `--partition TABLE=COLUMN`
adds a Hive partitioning (`OUT/touchpoints/channel=email/...`): worth it only where
queries filter on that column, which today's do not (they join touches to deals by
account), so none is the default.

Everything goes through DuckDB's relation API: no table name, column or path is ever
formatted into SQL text.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from closedloop import db
from closedloop.engine.translate import CANONICAL_TABLES

FILE_SIZE = "128MB"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return list(con.table(table).columns)


def export(
    con: duckdb.DuckDBPyConnection, out: Path, partition: dict[str, str] | None = None, force: bool = False
) -> dict[str, int]:
    """Write every canonical table of `con` under `out`; returns {table: rows}."""
    partition = dict(partition or {})
    for table, column in partition.items():
        if table not in CANONICAL_TABLES:
            raise ValueError(f"--partition: {table!r} is not a canonical table ({', '.join(CANONICAL_TABLES)}).")
        if column not in _columns(con, table):
            raise ValueError(
                f"--partition: {table} has no column {column!r} (columns: {', '.join(_columns(con, table))})."
            )
    out = Path(out)
    existing = [t for t in CANONICAL_TABLES if (out / t).exists()]
    if existing and not force:
        raise ValueError(f"{out} already holds {', '.join(existing)}; pass --force to replace them.")
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in CANONICAL_TABLES:
        target = out / table
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        rel = con.table(table)
        if table in partition:
            # keep the column inside the files too, so a reader that ignores the folder names
            # (or one Parquet file alone) still has it
            rel.write_parquet(
                str(target), partition_by=[partition[table]], write_partition_columns=True, compression="zstd"
            )
        else:
            rel.write_parquet(str(target), file_size_bytes=FILE_SIZE, compression="zstd")
        counts[table] = int(rel.aggregate("count(*)").fetchall()[0][0])
    return counts


def _partition(value: str) -> tuple[str, str]:
    table, sep, column = value.partition("=")
    if not sep or not table or not column:
        raise argparse.ArgumentTypeError("write TABLE=COLUMN, e.g. touchpoints=channel")
    return table, column


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write the canonical tables as Parquet, for the Spark engine",
        description="Write every canonical table (accounts, contacts, leads, campaigns, touchpoints, deals, "
        "deal_contacts, deal_stage_history) of a Closed Loop database as Parquet, one folder per "
        "table under --out, the layout CLOSEDLOOP_SPARK_SOURCE=DIR reads. Notes, reviews, import "
        "history and the derived tables stay in the DuckDB file. See docs/scale-out.md.",
    )
    p.add_argument("--db", type=Path, help="database (default $CLOSEDLOOP_DB or data/closedloop.duckdb)")
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
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else db.default_db_path()
    started = time.monotonic()
    con = db.connect(path, read_only=True)
    try:
        counts = export(con, args.out, dict(args.partition), force=args.force)
    finally:
        con.close()
    summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"Wrote {args.out} in {time.monotonic() - started:.1f}s: {summary}")
    return 0
