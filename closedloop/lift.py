"""Win-rate lift of each touchpoint type, channel, campaign or asset (DESIGN.md).

For closed deals in a period: the win rate of deals a key touched against the
win rate of those it did not touch, the difference with a 95% interval
(Newcombe's hybrid score interval), and the won and lost counts behind both.
Lift is association, not cause: a touch that sales books for deals already
going well will show lift too.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from closedloop import db, derived

# Dimensions a user can pick; the query maps each to its column (never formatted into SQL).
DIMENSIONS: tuple[str, ...] = ("touchpoint_type", "channel", "campaign", "asset")
SCOPES: tuple[str, ...] = ("account", "contact_roles")
# Below this many closed deals on either side a rate is too noisy to read alone.
SMALL_SAMPLE_DEALS = 10


def touchpoint_lift(
    con: duckdb.DuckDBPyConnection,
    date_from: date | str,
    date_to: date | str,
    dimension: str = "touchpoint_type",
    segment: str | None = None,
    region: str | None = None,
    owner: str | None = None,
    lookback_days: int = 180,
    scope: str = "account",
) -> pd.DataFrame:
    """One row per key of `dimension` among deals closed in [date_from, date_to], largest lift first.

    Columns: key, label (campaign name for campaigns, else the key), deals_touched,
    deals_touched_won, deals_touched_lost, deals_not_touched, deals_not_touched_won,
    deals_not_touched_lost, win_rate_touched, win_rate_not_touched, win_rate_diff,
    win_rate_diff_low95, win_rate_diff_high95 (fractions), small_sample.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"Unknown lift dimension {dimension!r}; choose one of {', '.join(DIMENSIONS)}.")
    if scope not in SCOPES:
        raise ValueError(f"Unknown touch scope {scope!r}; choose one of {', '.join(SCOPES)}.")
    if lookback_days < 0:
        raise ValueError(f"lookback_days must be 0 or more, got {lookback_days}.")
    params = {"date_from": date_from, "date_to": date_to, "dimension": dimension,
              "segment": segment, "region": region, "owner": owner}
    if derived.usable(con, int(lookback_days), scope) and derived.codes_fit(con, dimension):
        df = db.run(con, "touchpoint_lift_derived", **params)
    else:
        df = db.run(con, "touchpoint_lift", **params, lookback_days=int(lookback_days), scope=scope)
    return df.sort_values(
        ["win_rate_diff", "key"], ascending=[False, True], na_position="last", kind="stable"
    ).reset_index(drop=True)
