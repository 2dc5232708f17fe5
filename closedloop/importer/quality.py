"""The data-quality panel: what in the database deserves a look, each with a count and a sample."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import duckdb
import pandas as pd

from closedloop import db

# checks run at once (each query also uses DuckDB's own threads)
WORKERS = 2

# check name -> the query that answers it
CHECKS: dict[str, str] = {
    "rows_per_table": "data_quality_rows_per_table",
    "orphans": "data_quality_orphans",
    "touches_after_close": "data_quality_touches_after_close",
    "deals_without_touchpoints": "data_quality_deals_without_touchpoints",
    "deals_without_account": "data_quality_deals_without_account",
    "duplicate_touches": "data_quality_duplicate_touches",
    "date_ranges": "data_quality_date_ranges",
    "closed_before_created": "data_quality_closed_before_created",
    "won_before_first_touch": "data_quality_won_before_first_touch",
}


def data_quality(
    con: duckdb.DuckDBPyConnection,
    lookback_days: int = 180,
    sample_size: int = 20,
    as_of: datetime | None = None,
) -> dict[str, tuple[int, pd.DataFrame]]:
    """Each check as (count, sample).

    rows_per_table: total rows, and the count of each table. orphans, touches_after_close,
    deals_without_touchpoints, deals_without_account, closed_before_created (deals whose
    close precedes their creation), won_before_first_touch (won deals closed before the first
    touch of their account): how many rows, and the first
    `sample_size`. duplicate_touches: how many extra touches, and the biggest groups.
    date_ranges: how many dates lie in the future (after `as_of`, default now) or before
    1990, and each date column's range.
    """
    as_of = as_of or datetime.now(UTC).replace(tzinfo=None)
    # the slowest first (at 10M touchpoints: seconds, down to milliseconds)
    params: dict[str, dict[str, object]] = {
        "orphans": {"sample_size": sample_size},
        "duplicate_touches": {"sample_size": sample_size},
        "deals_without_touchpoints": {"lookback_days": lookback_days, "sample_size": sample_size},
        "touches_after_close": {"sample_size": sample_size},
        "date_ranges": {"as_of": as_of},
        "rows_per_table": {},
        "deals_without_account": {"sample_size": sample_size},
        "closed_before_created": {"sample_size": sample_size},
        "won_before_first_touch": {"sample_size": sample_size},
    }
    queries = dict(CHECKS)
    # Each check is its own query on its own cursor (db.run): run side by side, the parts of
    # one that DuckDB runs on a single thread overlap with another's.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(db.run, con, queries[name], **params[name]) for name in params}
        results = {name: f.result() for name, f in futures.items()}
    out: dict[str, tuple[int, pd.DataFrame]] = {}
    rows = results["rows_per_table"]
    data_tables = ~rows["table_name"].isin(["import_log", "import_rejects", "retro_notes"])
    out["rows_per_table"] = (int(rows.loc[data_tables, "row_count"].sum()), rows)
    for name in (
        "orphans",
        "touches_after_close",
        "deals_without_account",
        "duplicate_touches",
        "closed_before_created",
        "won_before_first_touch",
    ):
        out[name] = _sampled(results[name])
    out["deals_without_touchpoints"] = _sampled(results["deals_without_touchpoints"])
    ranges = results["date_ranges"]
    out["date_ranges"] = (int((ranges["in_future"] + ranges["before_1990"]).sum()), ranges)
    return out


def _sampled(df: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    total = int(df["total"].iloc[0]) if len(df) else 0
    return total, df.drop(columns=["total"]).reset_index(drop=True)
