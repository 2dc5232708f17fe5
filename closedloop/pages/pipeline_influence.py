"""Pipeline influence: pipeline created per month or quarter, split into
marketing-sourced, marketing-influenced, sales-only and no-touchpoint deals
under a selectable definition; the same by campaign and by channel, with the
cost per won deal where the campaign cost is known.

The period selects deals by their creation date. The exact rules are stated in
queries/pipeline_influence.sql; DEFINITIONS holds the wording the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import duckdb
import pandas as pd

from closedloop import db, filters
from closedloop.filters import Filters, quarter_of, quarters_between

DEFAULT_WINDOW_DAYS = 90
GRAINS = ("month", "quarter")

DEFINITIONS: dict[str, tuple[str, str]] = {
    "first_touch": (
        "First touch is marketing",
        "Marketing-sourced: the deal's first touch in its window is a marketing touch. "
        "Marketing-influenced: the window has a marketing touch, but the first touch is a sales touch. "
        "Sales-only: touches, none from marketing.",
    ),
    "window": (
        "Marketing touch within N days before the opportunity",
        "Marketing-sourced: a marketing touch in the N days up to the deal's creation (inside the deal's "
        "window, so at most the lookback). Marketing-influenced: a marketing touch elsewhere in the window "
        "(earlier, or after the deal was created). Sales-only: touches, none from marketing.",
    ),
    "lead_source": (
        "Lead source",
        "Marketing-sourced: the account's earliest lead created on or before the deal's creation came from a "
        "marketing channel (any source except sales / outbound). Marketing-influenced: otherwise, a "
        "marketing touch in the window. Sales-only: otherwise, touches from sales only.",
    ),
}
NON_MARKETING_LEAD_SOURCES = ("sales", "outbound")  # as in the queries

# What the page measures pipeline in: the deals' amounts, or the number of deals (for CRMs
# that export no amounts, and for teams that count opportunities). `measure=` in the URL.
MEASURES: dict[str, str] = {"usd": "Amount (USD)", "deals": "Number of deals"}

SPLITS: dict[str, str] = {
    "marketing_sourced": "Marketing-sourced",
    "marketing_influenced": "Marketing-influenced",
    "sales_only": "Sales-only",
    "no_touchpoint": "No touchpoint",
}


# a split's or a campaign's (channel's) deals and pipeline, and those of them won
TOTALS = ["deals", "pipeline_usd", "won_deals", "won_usd"]
# the columns of queries/pipeline_influence.sql's two kinds of rows; the union leaves the other
# kind's columns null, which makes its counts floats: they are counts again here
PERIOD_COLUMNS = ["period_start", "split", *TOTALS]
# how much of a campaign's (channel's) pipeline it sourced and influenced, and what it cost
SOURCED = ["deals_sourced", "sourced_pipeline_usd", "deals_influenced", "influenced_pipeline_usd"]
KEY_COLUMNS = ["key", "name", *SOURCED, *TOTALS, "cost_usd", "cost_per_won_deal_usd"]
COUNTS = ("deals", "won_deals", "deals_sourced", "deals_influenced")


def _rows(rows: pd.DataFrame, dimension: str, columns: list[str]) -> pd.DataFrame:
    df = rows.loc[rows["dimension"] == dimension, columns].reset_index(drop=True)
    return df.astype({c: "int64" for c in COUNTS if c in columns})


@dataclass(frozen=True)
class Pipeline:
    definition: str
    window_days: int
    grain: str
    by_period: pd.DataFrame  # long: period, split, deals, pipeline_usd, won_deals, won_usd
    table: pd.DataFrame  # wide: one row per period, a column per split (USD), the total
    table_deals: pd.DataFrame  # the same in deal counts: a `{split}_deals` column per split, `deals`
    totals: pd.DataFrame  # one row per split with its share of the pipeline
    by_campaign: pd.DataFrame
    by_channel: pd.DataFrame

    @property
    def empty(self) -> bool:
        return bool(self.by_period.empty)

    @property
    def total_usd(self) -> float:
        return float(self.by_period["pipeline_usd"].sum())

    @property
    def total_deals(self) -> int:
        return int(self.by_period["deals"].sum())

    @property
    def amounts_missing(self) -> bool:
        """Deals were created, but none has an amount above 0 (all null or 0): USD figures say nothing."""
        return self.total_deals > 0 and not self.total_usd > 0


def filter_options(con: duckdb.DuckDBPyConnection, today: date | None = None) -> filters.FilterOptions:
    """The filter bar's choices where the period is "deals created in": the quarters deals were created in."""
    base = filters.filter_options(con, today)
    row = db.run(con, "deal_created_range").iloc[0]
    if row["created_max"] is None or pd.isna(row["created_max"]):
        return base
    first, last = date.fromisoformat(row["created_min"]), date.fromisoformat(row["created_max"])
    return replace(base, quarters=quarters_between(first, last), default_quarter=quarter_of(last))


def period_label(start: pd.Timestamp | date, grain: str) -> str:
    start = pd.Timestamp(start)
    return f"{start.year}Q{start.quarter}" if grain == "quarter" else f"{start:%Y-%m}"


def _check(definition: str, window_days: int, grain: str) -> None:
    if definition not in DEFINITIONS:
        raise ValueError(f"Definition must be one of {', '.join(DEFINITIONS)}, got {definition!r}.")
    if grain not in GRAINS:
        raise ValueError(f"Grain must be one of {', '.join(GRAINS)}, got {grain!r}.")
    if window_days < 0:
        raise ValueError(f"N must be zero or more days, got {window_days}.")


def pipeline(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    definition: str = "first_touch",
    window_days: int = DEFAULT_WINDOW_DAYS,
    grain: str = "month",
) -> Pipeline:
    _check(definition, window_days, grain)
    p = {**f.params(), "definition": definition, "window_days": int(window_days), "grain": grain}
    # the splits per period and the campaigns and channels: one query, one pass over the touches
    rows = db.run(con, "pipeline_influence", **p)
    long = _rows(rows, "period", PERIOD_COLUMNS)
    by_key = {dim: _rows(rows, dim, KEY_COLUMNS) for dim in ("campaign", "channel")}
    long.insert(1, "period", [period_label(s, grain) for s in long["period_start"]])
    long.insert(3, "split_label", long["split"].map(SPLITS))

    table = (
        long.pivot_table(index="period", columns="split", values="pipeline_usd", aggfunc="sum", fill_value=0)
        .reindex(columns=list(SPLITS), fill_value=0)
        .rename(columns={k: f"{k}_usd" for k in SPLITS})
    )
    table["pipeline_usd"] = table.sum(axis=1)
    table["deals"] = long.groupby("period")["deals"].sum()
    table = table.rename_axis(columns=None).reset_index()
    table_deals = (
        long.pivot_table(index="period", columns="split", values="deals", aggfunc="sum", fill_value=0)
        .reindex(columns=list(SPLITS), fill_value=0)
        .rename(columns={k: f"{k}_deals" for k in SPLITS})
        .astype("int64")
    )
    table_deals["deals"] = table_deals.sum(axis=1)
    table_deals = table_deals.rename_axis(columns=None).reset_index()

    totals = long.groupby("split", sort=False)[TOTALS].sum().reindex(list(SPLITS), fill_value=0).reset_index()
    totals.insert(1, "split_label", totals["split"].map(SPLITS))
    all_usd = totals["pipeline_usd"].sum()
    totals["share_of_pipeline"] = totals["pipeline_usd"] / all_usd if all_usd else 0.0
    all_deals = totals["deals"].sum()
    totals["share_of_deals"] = totals["deals"] / all_deals if all_deals else 0.0

    return Pipeline(
        definition=definition,
        window_days=int(window_days),
        grain=grain,
        by_period=long,
        table=table,
        table_deals=table_deals,
        totals=totals,
        by_campaign=by_key["campaign"],
        by_channel=by_key["channel"],
    )
