"""Path reports (issue 14; docs/attribution.md, "Path reports"): time lag and path length as
distributions, won vs lost, and the paths of closed deals after a transform, before any credit.

queries/path_time_lag.sql and queries/path_length.sql count won and lost deals per band and
per month of close, with sums (revenue, days, touches) rather than averages, so every row adds
up: `rollup` sums the months of a period into one row per band and works the shares and means
out of the sums. queries/path_summary.sql returns one row per transformed path in the
aggregated path format that `attribute-paths` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.engine.attribution.api import resolve_filters
from closedloop.filters import DateArg, Filters

# Where a band starts (the first band starts at 0 days / 1 touch).
DEFAULT_DAY_EDGES: tuple[int, ...] = (8, 15, 31, 61, 91, 181, 366)
DEFAULT_TOUCH_EDGES: tuple[int, ...] = (2, 3, 4, 5, 6, 11, 21)
NO_TOUCHPOINT_BAND, DATES_UNKNOWN_BAND = -1, -2
NO_TOUCHPOINT = "(no touchpoint)"
TRANSFORMS: dict[str, str] = {
    "as_is": "As is: every touch's channel in time order",
    "collapse_repeats": "Repeats in a row collapsed (a > a > b > a: a > b > a)",
    "first_occurrence": "First occurrence only (a > b > a: a > b)",
    "frequency": "Frequency counts (a > b > a: a(2) > b(1))",
    "drop_channel": "Drop a channel unless it is the whole path",
}
REPORTS = ("time_lag", "path_length")
ROLLUP_COLUMNS = [
    "band",
    "label",
    "won_deals",
    "lost_deals",
    "closed_deals",
    "win_rate",
    "share_of_won",
    "share_of_lost",
    "won_amount_usd",
    "mean_won",
    "mean_lost",
]


def band_labels(edges: Sequence[int], unit: str, first: int) -> dict[int, str]:
    """Band number -> label: edges (8, 15) in days from 0 -> {0: '0–7 days', 1: '8–14 days', 2: '15+ days'}."""
    starts = [first, *edges]
    out = {}
    for i, lo in enumerate(starts):
        if i + 1 < len(starts):
            hi = starts[i + 1] - 1
            out[i] = f"{lo} {unit}" if hi == lo else f"{lo}–{hi} {unit}"
        else:
            out[i] = f"{lo}+ {unit}"
    return out


def _check_edges(edges: Sequence[int], first: int, what: str) -> list[int]:
    out = [int(e) for e in edges]
    if any(e <= first for e in out) or out != sorted(set(out)):
        raise ValueError(
            f"{what} band edges must be whole numbers above {first} in increasing order, got {list(edges)}."
        )
    return out


def time_lag(
    con: duckdb.DuckDBPyConnection,
    date_from: DateArg = None,
    date_to: DateArg = None,
    f: Filters | None = None,
    *,
    day_edges: Sequence[int] = DEFAULT_DAY_EDGES,
    **filters: Any,
) -> pd.DataFrame:
    """Won and lost deals per month of close and band of days from first touch to close, with a
    label per band: closed_month, band, label, won_deals, lost_deals, won_amount_usd, won_days, lost_days.
    The deals closed in the period of `f`, or of the dates and Filters' other fields as keywords."""
    edges = _check_edges(day_edges, 0, "Day")
    df = db.run(
        con,
        "path_time_lag",
        **resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters}).params(),
        day_edges=edges,
    )
    return _labelled(df.rename(columns={"won_days": "won_sum", "lost_days": "lost_sum"}), "days", edges)


def path_length(
    con: duckdb.DuckDBPyConnection,
    date_from: DateArg = None,
    date_to: DateArg = None,
    f: Filters | None = None,
    *,
    touch_edges: Sequence[int] = DEFAULT_TOUCH_EDGES,
    **filters: Any,
) -> pd.DataFrame:
    """Won and lost deals per month of close and band of touches to close (as time_lag)."""
    edges = _check_edges(touch_edges, 1, "Touch")
    df = db.run(
        con,
        "path_length",
        **resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters}).params(),
        touch_edges=edges,
    )
    return _labelled(df.rename(columns={"won_touches": "won_sum", "lost_touches": "lost_sum"}), "touches", edges)


def _labelled(by_month: pd.DataFrame, measure: str, edges: Sequence[int]) -> pd.DataFrame:
    """time_lag's or path_length's rows with each band's label after the band."""
    if measure == "days":
        labels = {**time_lag_labels(edges), DATES_UNKNOWN_BAND: "(dates unknown)"}
    else:
        labels = path_length_labels(edges)
    by_month.insert(2, "label", by_month["band"].map({**labels, NO_TOUCHPOINT_BAND: NO_TOUCHPOINT}))
    return by_month


# the per-deal figure each report bands, and its band (queries/journey_paths.sql's columns)
DEAL_MEASURES = {"days": "days_first_touch_to_close", "touches": "touches"}


def by_month_of(deals: pd.DataFrame, measure: str, edges: Sequence[int]) -> pd.DataFrame:
    """time_lag's (measure 'days') or path_length's ('touches') rows, counted from per-deal rows
    instead of a query: one row per closed deal with outcome, amount_usd, closed_on, the figure
    (days_first_touch_to_close or touches) and its band (days_band or touches_band), as
    queries/journey_paths.sql gives them when run with these `edges` as its $day_edges or
    $touch_edges (the Journeys page runs it anyway). The band is path_band()'s, the rule of
    path_bands() in queries/macros.sql: the same rows, counted."""
    first = 0 if measure == "days" else 1
    edges = _check_edges(edges, first, "Day" if measure == "days" else "Touch")
    value = pd.to_numeric(deals[DEAL_MEASURES[measure]]).astype("float64")
    band = deals[f"{measure}_band"].to_numpy()
    won = (deals["outcome"] == "won").to_numpy()
    rows = pd.DataFrame(
        {
            "closed_month": pd.to_datetime(deals["closed_on"])
            .dt.to_period("M")
            .dt.to_timestamp()
            .astype("datetime64[us]"),
            "band": band.astype("int32"),
            "won_deals": won.astype("int64"),
            "lost_deals": (~won).astype("int64"),
            "won_amount_usd": deals["amount_usd"].astype("float64").fillna(0.0).where(won, 0.0),
            "won_sum": value.where(won & (band >= 0), 0.0),
            "lost_sum": value.where(~won & (band >= 0), 0.0),
        }
    )
    by_month = rows.groupby(["closed_month", "band"], as_index=False, sort=True).sum()
    return _labelled(by_month, measure, edges)


def rollup(by_month: pd.DataFrame, labels: dict[int, str] | None = None) -> pd.DataFrame:
    """time_lag's or path_length's rows summed over months into one row per band (every band of
    `labels` present, with 0 deals where none fell in it), shortest first and the special bands
    (no touchpoint, dates unknown) last: deals won and lost, win rate, each band's share of the won
    and of the lost deals, won revenue and the mean days (or touches) of its won and lost deals."""
    sums = by_month.groupby(["band", "label"], as_index=False)[
        ["won_deals", "lost_deals", "won_amount_usd", "won_sum", "lost_sum"]
    ].sum()
    if labels is not None:
        frame = pd.DataFrame({"band": list(labels), "label": list(labels.values())})
        extra = sums[~sums["band"].isin(list(labels))]
        sums = pd.concat([frame.merge(sums.drop(columns="label"), on="band", how="left").fillna(0), extra])
    for c in ("won_deals", "lost_deals"):
        sums[c] = sums[c].astype("int64")
    sums["closed_deals"] = sums["won_deals"] + sums["lost_deals"]
    won, lost = sums["won_deals"].sum(), sums["lost_deals"].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        sums["win_rate"] = np.where(sums["closed_deals"] > 0, sums["won_deals"] / sums["closed_deals"], np.nan)
        sums["share_of_won"] = sums["won_deals"] / won if won else np.nan
        sums["share_of_lost"] = sums["lost_deals"] / lost if lost else np.nan
        sums["mean_won"] = np.where(sums["won_deals"] > 0, sums["won_sum"] / sums["won_deals"], np.nan)
        sums["mean_lost"] = np.where(sums["lost_deals"] > 0, sums["lost_sum"] / sums["lost_deals"], np.nan)
    # the special bands (no touchpoint, dates unknown) have no days or touches to average
    sums.loc[sums["band"] < 0, ["mean_won", "mean_lost"]] = np.nan
    sums["order"] = np.where(sums["band"] < 0, 1000 - sums["band"], sums["band"])
    return sums.sort_values("order", ignore_index=True)[ROLLUP_COLUMNS]


def time_lag_labels(day_edges: Sequence[int] = DEFAULT_DAY_EDGES) -> dict[int, str]:
    return band_labels(list(day_edges), "days", 0)


def path_length_labels(touch_edges: Sequence[int] = DEFAULT_TOUCH_EDGES) -> dict[int, str]:
    return {**band_labels(list(touch_edges), "touches", 1), 0: "1 touch"}


def path_summary(
    con: duckdb.DuckDBPyConnection,
    date_from: DateArg = None,
    date_to: DateArg = None,
    f: Filters | None = None,
    *,
    transform: str = "collapse_repeats",
    drop_channel: str | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """One row per path after `transform`: path, steps, total_conversions (won deals),
    total_conversion_value (won revenue), total_null (lost deals), win_rate; most deals first."""
    if transform not in TRANSFORMS:
        raise ValueError(f"Unknown path transform {transform!r}; choose one of {', '.join(TRANSFORMS)}.")
    if transform == "drop_channel" and not drop_channel:
        raise ValueError("The drop_channel transform needs the channel to drop.")
    df = db.run(
        con,
        "path_summary",
        **resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters}).params(),
        transform=transform,
        drop_channel=drop_channel,
    )
    for c in ("steps", "total_conversions", "total_null"):
        df[c] = df[c].astype("int64")
    return df
