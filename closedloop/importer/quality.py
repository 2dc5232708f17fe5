"""The data-quality panel: what in the database deserves a look, each with a count and a sample."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from closedloop import db

# check name -> the query that answers it
CHECKS: dict[str, str] = {
    "rows_per_table": "data_quality_rows_per_table",
    "orphans": "data_quality_orphans",
    "touches_after_close": "data_quality_touches_after_close",
    "deals_without_touchpoints": "data_quality_deals_without_touchpoints",
    "deals_without_account": "data_quality_deals_without_account",
    "duplicate_touches": "data_quality_duplicate_touches",
    "date_ranges": "data_quality_date_ranges",
}


def data_quality(
    con: duckdb.DuckDBPyConnection,
    lookback_days: int = 180,
    sample_size: int = 20,
    as_of: datetime | None = None,
) -> dict[str, tuple[int, pd.DataFrame]]:
    """Each check as (count, sample).

    rows_per_table: total rows, and the count of each table. orphans, touches_after_close,
    deals_without_touchpoints, deals_without_account: how many rows, and the first
    `sample_size`. duplicate_touches: how many extra touches, and the biggest groups.
    date_ranges: how many dates lie in the future (after `as_of`, default now) or before
    1990, and each date column's range.
    """
    as_of = as_of or datetime.now(UTC).replace(tzinfo=None)
    out: dict[str, tuple[int, pd.DataFrame]] = {}
    rows = db.run(con, CHECKS["rows_per_table"])
    data_tables = ~rows["table_name"].isin(["import_log", "import_rejects", "retro_notes"])
    out["rows_per_table"] = (int(rows.loc[data_tables, "row_count"].sum()), rows)
    for name in ("orphans", "touches_after_close", "deals_without_account", "duplicate_touches"):
        out[name] = _sampled(db.run(con, CHECKS[name], sample_size=sample_size))
    out["deals_without_touchpoints"] = _sampled(
        db.run(con, CHECKS["deals_without_touchpoints"], lookback_days=lookback_days, sample_size=sample_size)
    )
    ranges = db.run(con, CHECKS["date_ranges"], as_of=as_of)
    out["date_ranges"] = (int((ranges["in_future"] + ranges["before_1990"]).sum()), ranges)
    return out


def _sampled(df: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    total = int(df["total"].iloc[0]) if len(df) else 0
    return total, df.drop(columns=["total"]).reset_index(drop=True)
