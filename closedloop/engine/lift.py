"""Win-rate lift of each touchpoint type, channel, campaign or asset (DESIGN.md).

For closed deals in a period: the win rate of deals a key touched against the
win rate of those it did not touch, the difference with a 95% interval
(Newcombe's hybrid score interval), and the won and lost counts behind both.
Lift is association, not cause: a touch that sales books for deals already
going well will show lift too.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from closedloop import db
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, DateArg, Filters

# Dimensions a user can pick; the query maps each to its column (never formatted into SQL).
DIMENSIONS: tuple[str, ...] = ("touchpoint_type", "channel", "campaign", "asset")
# Below this many closed deals on either side a rate is too noisy to read alone.
SMALL_SAMPLE_DEALS = 10
# two-sided: the interval's level is 1 - ALPHA
ALPHA = 0.05
COLUMNS = [
    "key",
    "label",
    "deals_touched",
    "deals_touched_won",
    "deals_touched_lost",
    "deals_not_touched",
    "deals_not_touched_won",
    "deals_not_touched_lost",
    "win_rate_touched",
    "win_rate_not_touched",
    "win_rate_diff",
    "win_rate_diff_low95",
    "win_rate_diff_high95",
    "small_sample",
]


def touchpoint_lift(
    con: duckdb.DuckDBPyConnection,
    date_from: DateArg,
    date_to: DateArg,
    dimension: str = "touchpoint_type",
    segment: str | None = None,
    region: str | None = None,
    owner: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    scope: str = "account",
) -> pd.DataFrame:
    """`lift_table` with the filters as arguments (the command line's, a notebook's)."""
    f = Filters.of(date_from, date_to, segment, region, owner, lookback_days, scope)
    return lift_table(con, f, dimension)


def lift_table(con: duckdb.DuckDBPyConnection, f: Filters, dimension: str = "touchpoint_type") -> pd.DataFrame:
    """One row per key of `dimension` among deals closed in the period of `f`, largest lift first.

    Columns: key, label (campaign name for campaigns, else the key), deals_touched,
    deals_touched_won, deals_touched_lost, deals_not_touched, deals_not_touched_won,
    deals_not_touched_lost, win_rate_touched, win_rate_not_touched, win_rate_diff,
    win_rate_diff_low95, win_rate_diff_high95 (fractions), small_sample.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown lift dimension {dimension!r}; choose one of {', '.join(DIMENSIONS)}.")
    df = db.run(con, "touchpoint_lift", dimension=dimension, **f.params())
    return (
        _with_rates(df)
        .sort_values(["win_rate_diff", "key"], ascending=[False, True], na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def _with_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """The query's counts -> both win rates, their difference and Newcombe's hybrid score
    interval (method 10: the Wilson intervals of each rate combined), which stays sensible
    at rates of 0 or 1 and at small counts, unlike the Wald interval."""
    tw = counts["deals_touched_won"].to_numpy(dtype=float)
    tl = counts["deals_touched_lost"].to_numpy(dtype=float)
    nw = counts["deals_won"].to_numpy(dtype=float) - tw
    nl = counts["deals_lost"].to_numpy(dtype=float) - tl
    t, n = tw + tl, nw + nl
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(t > 0, tw / t, np.nan)
        p2 = np.where(n > 0, nw / n, np.nan)
    # statsmodels' "newcomb" is method 10 (each rate's Wilson interval, combined); a side with no
    # closed deals has no rate, so its bounds are NaN (numpy's divide warnings silenced).
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(tw, t, nw, n, method="newcomb", compare="diff", alpha=ALPHA)
    out = pd.DataFrame(
        {
            "key": counts["key"],
            "label": counts["label"],
            "deals_touched": t.astype("int64"),
            "deals_touched_won": tw.astype("int64"),
            "deals_touched_lost": tl.astype("int64"),
            "deals_not_touched": n.astype("int64"),
            "deals_not_touched_won": nw.astype("int64"),
            "deals_not_touched_lost": nl.astype("int64"),
            "win_rate_touched": p1,
            "win_rate_not_touched": p2,
            "win_rate_diff": p1 - p2,
            "win_rate_diff_low95": np.asarray(low, dtype=float),
            "win_rate_diff_high95": np.asarray(high, dtype=float),
            "small_sample": (t < SMALL_SAMPLE_DEALS) | (n < SMALL_SAMPLE_DEALS),
        }
    )
    return out[COLUMNS]
