"""What the Journeys page's "Path reports" section shows: time lag and path length won vs lost,
summed over the period (closedloop.engine.path_reports), and the paths after a transform.

The Journeys page holds them because they answer its question (which journeys end in wins, and
how long they take) in the additive form other tools report; a page of their own would repeat
the filters and split one question in two.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from closedloop.engine import path_reports as engine
from closedloop.filters import Filters

TRANSFORMS = engine.TRANSFORMS


@dataclass(frozen=True)
class PathDistributions:
    time_lag: pd.DataFrame  # engine.rollup of the time lag, every band listed
    path_length: pd.DataFrame  # engine.rollup of the path length
    time_lag_by_month: pd.DataFrame  # the rows behind time_lag, per month of close (CSV)
    path_length_by_month: pd.DataFrame

    @property
    def closed_deals(self) -> int:
        return int(self.path_length["closed_deals"].sum())

    @property
    def touched_deals(self) -> int:
        return int(self.path_length.loc[self.path_length["band"] >= 0, "closed_deals"].sum())


# the band edges queries/journey_paths.sql gives the Journeys page's deals their bands with
# (days_band, touches_band): the reports' defaults, which distributions() labels
BAND_EDGES: dict[str, list[int]] = {
    "day_edges": list(engine.DEFAULT_DAY_EDGES),
    "touch_edges": list(engine.DEFAULT_TOUCH_EDGES),
}


def distributions(deals: pd.DataFrame) -> PathDistributions:
    """The reports of the closed deals `deals` (one row each, as queries/journey_paths.sql gives them:
    the Journeys page's own per-deal figures), counted rather than asked again of the database: the
    figures of engine.time_lag and engine.path_length, without their second pass over the touches."""
    lag = engine.by_month_of(deals, "days", BAND_EDGES["day_edges"])
    length = engine.by_month_of(deals, "touches", BAND_EDGES["touch_edges"])
    return PathDistributions(
        time_lag=engine.rollup(lag, engine.time_lag_labels()),
        path_length=engine.rollup(length, engine.path_length_labels()),
        time_lag_by_month=lag,
        path_length_by_month=length,
    )


def transformed_paths(
    con: duckdb.DuckDBPyConnection, f: Filters, transform: str = "collapse_repeats", drop_channel: str | None = None
) -> pd.DataFrame:
    """engine.path_summary for the page: one row per path after the transform."""
    return engine.path_summary(con, f=f, transform=transform, drop_channel=drop_channel)


def channels_in(summary: pd.DataFrame) -> list[str]:
    """The channels of transformed_paths' paths, those on the most deals first (a channel to drop)."""
    deals = summary["total_conversions"] + summary["total_null"]
    counts: dict[str, int] = {}
    for path, n in zip(summary["path"], deals, strict=True):
        if path == engine.NO_TOUCHPOINT:
            continue
        for channel in set(path.split(" > ")):
            counts[channel] = counts.get(channel, 0) + int(n)
    return sorted(counts, key=lambda c: (-counts[c], c))
