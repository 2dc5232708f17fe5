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

import shutil
from pathlib import Path

import duckdb

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
