"""Journeys: the channel paths that closed deals followed, won vs lost.

Paths collapse consecutive repeats of a channel. The transition matrix is the
attribution engine's Markov chain (closedloop.engine.attribution: repeats kept, deals
without a touch left out), from '(start)' to '(won)' or '(lost)'.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.engine import attribution
from closedloop.engine.attribution import markov
from closedloop.filters import Filters
from closedloop.pages import path_reports

NO_TOUCHPOINT = "(no touchpoint)"
START, WON, LOST = "(start)", "(won)", "(lost)"
PATH_ENDS = ("first", "last")
DEAL_COLUMNS = ["deal_id", "deal_name", "outcome", "amount_usd", "closed_on", "path", "full_path", "steps", "touches"]
STATS_COLUMNS = [
    "deal_id",
    "deal_name",
    "outcome",
    "touches",
    "marketing_touches",
    "sales_touches",
    "first_touch_at",
    "days_first_touch_to_close",
    "days_to_close",
]


MAX_DOTS = 1_000  # deals per outcome a distribution draws as dots


@dataclass(frozen=True)
class Distribution:
    """One per-deal figure, won vs lost, ready to draw: `boxes` has each outcome's (Won, Lost) deals,
    min (lower), quartiles, median and max (upper) over every deal; `dots` at most MAX_DOTS deals per
    outcome (a seeded random sample where there are more): outcome, deal_name and the figure."""

    boxes: pd.DataFrame
    dots: pd.DataFrame

    @property
    def sampled(self) -> bool:
        """Whether some deals are not drawn as dots."""
        return len(self.dots) < int(self.boxes["deals"].sum())


@dataclass(frozen=True)
class Journeys:
    # one row per closed deal: its path (whole, or its first / last steps), full_path, steps, touches
    deals: pd.DataFrame
    paths: pd.DataFrame  # one row per path: deals, won, lost, win rate; most common first
    # one row per closed deal (won first): touches per team, days from first touch to close
    stats: pd.DataFrame
    summary: pd.DataFrame  # one row per outcome (won, lost): medians and means of stats
    touches: Distribution  # touches per deal, won vs lost
    days: Distribution  # days from first touch to close (deals with a touch)
    # the Markov chain of the same deals: from_state, to_state, transitions, probability
    transitions: pd.DataFrame
    # time lag and path length of the same deals, counted from the per-deal rows (pages.path_reports)
    reports: path_reports.PathDistributions
    # path_reports.transformed_paths' rows for 'collapse_repeats', counted from the per-deal rows
    collapsed_paths: pd.DataFrame

    @property
    def empty(self) -> bool:
        return bool(self.deals.empty)


def path_summary(deals: pd.DataFrame, by: str = "path", carry: tuple[str, ...] = ()) -> pd.DataFrame:
    """Deals per path (the column `by` of `deals`) with wins, losses, win rate and won revenue, most
    common first (then most won, then by path); `carry`: columns whose value is the same on every
    deal of a path, kept. Counted with numpy: grouping 135,000 deals of mostly distinct whole paths
    took pandas' groupby and sort 0.1-0.3 s."""
    # sort=True: a path's code is its rank, so ties sort by path
    codes, paths = pd.factorize(deals[by], sort=True)
    won = (deals["outcome"] == "won").to_numpy()
    n = len(paths)
    count = np.bincount(codes, minlength=n)
    won_count = np.bincount(codes[won], minlength=n)
    won_amount = deals["amount_usd"].astype("float64").fillna(0).where(won, 0).to_numpy()
    revenue = np.bincount(codes, weights=won_amount, minlength=n)
    order = np.lexsort((np.arange(n), -won_count, -count))
    # a deal of each path (the last one)
    one = np.empty(n, dtype="int64")
    one[codes] = np.arange(len(codes))
    return pd.DataFrame(
        {
            "path": paths[order],
            "deals": count[order],
            "won_deals": won_count[order],
            "lost_deals": (count - won_count)[order],
            "win_rate": won_count[order] / count[order],
            "won_revenue_usd": revenue[order],
            **{c: deals[c].to_numpy()[one[order]] for c in carry},
        }
    )


def collapsed_paths(deals: pd.DataFrame) -> pd.DataFrame:
    """The rows of path_reports.transformed_paths(transform='collapse_repeats') counted from the
    per-deal rows: a deal's full_path is its whole journey with repeats collapsed. path, steps,
    total_conversions (won deals), total_conversion_value (won revenue), total_null (lost deals),
    win_rate; most deals first."""
    g = path_summary(deals, by="full_path", carry=("steps",))
    return pd.DataFrame(
        {
            "path": g["path"],
            "steps": g["steps"].astype("int64"),
            "total_conversions": g["won_deals"].astype("int64"),
            "total_conversion_value": g["won_revenue_usd"].astype("float64"),
            "total_null": g["lost_deals"].astype("int64"),
            "win_rate": g["win_rate"].astype("float64"),
        }
    )


def stats_summary(stats: pd.DataFrame) -> pd.DataFrame:
    """Won vs lost: deals, median and mean touches, median days from first touch to close."""
    rows = []
    for outcome in ("won", "lost"):
        s = stats[stats["outcome"] == outcome]
        days = pd.to_numeric(s["days_first_touch_to_close"], errors="coerce").dropna()
        rows.append(
            {
                "outcome": outcome,
                "deals": len(s),
                "deals_without_touch": int((s["touches"] == 0).sum()),
                "median_touches": float(s["touches"].median()) if len(s) else None,
                "mean_touches": float(s["touches"].mean()) if len(s) else None,
                "median_days_first_touch_to_close": float(days.median()) if len(days) else None,
                "mean_days_first_touch_to_close": float(days.mean()) if len(days) else None,
            }
        )
    return pd.DataFrame(rows)


def distribution(stats: pd.DataFrame, field: str, max_dots: int = MAX_DOTS) -> Distribution:
    """`field` of `stats` won vs lost: the box of every deal and at most `max_dots` deals per outcome.

    Computed once with the cached result instead of in the chart: 130k dots made a 10 MB chart."""
    s = stats.assign(outcome=stats["outcome"].str.capitalize()).dropna(subset=[field])
    s = s.assign(**{field: pd.to_numeric(s[field])})
    g = s.groupby("outcome")[field]
    boxes = pd.DataFrame(
        {
            "deals": g.size(),
            "lower": g.min(),
            "q1": g.quantile(0.25),
            "median": g.median(),
            "q3": g.quantile(0.75),
            "upper": g.max(),
        }
    ).reset_index()
    dots = (
        s.groupby("outcome", group_keys=False)[["outcome", "deal_name", field]]
        .apply(lambda d: d.sample(n=max_dots, random_state=0) if len(d) > max_dots else d)
        .reset_index(drop=True)
    )
    return Distribution(boxes=boxes, dots=dots)


EMPTY_TRANSITIONS = pd.DataFrame(columns=["from_state", "to_state", "transitions", "probability"])


def transition_matrix(con: duckdb.DuckDBPyConnection, f: Filters, order: int = 1) -> pd.DataFrame:
    """The Markov attribution model's transition probabilities between channel states
    (order k: a state is the last k channels), with '(won)' and '(lost)' as the ends."""
    counts = attribution.markov_transitions(con, by="channel", order=order, f=f)
    if counts.empty:
        return EMPTY_TRANSITIONS.copy()
    t = markov.transition_probabilities(counts).rename(columns={"from": "from_state", "to": "to_state"})
    t = t.replace({"to_state": {"(conversion)": WON, "(null)": LOST}})
    return t.sort_values(["from_state", "to_state"], key=lambda s: s.map(_state_order), ignore_index=True)


def _state_order(state: str) -> tuple[int, str]:
    return ({START: 0, WON: 2, LOST: 3}.get(state, 1), state)


def journeys(
    con: duckdb.DuckDBPyConnection, f: Filters, order: int | None = 1, path_steps: int = 0, path_end: str = "first"
) -> Journeys:
    """Paths, journey length, the path reports and the transition matrix of the deals closed in the period.

    order None leaves `transitions` empty: the page asks transition_matrix for them on its own,
    so a new path view does not recompute the chain, nor a new order the paths.

    path_steps: how many channel steps a path keeps (0 = the whole journey), from
    its start (path_end 'first') or from its close ('last'): long B2B journeys are
    nearly all different, while their openings and endings repeat.
    """
    if path_end not in PATH_ENDS:
        raise ValueError(f"path_end must be one of {', '.join(PATH_ENDS)}, got {path_end!r}.")
    if isinstance(path_steps, bool) or not isinstance(path_steps, int) or path_steps < 0:
        raise ValueError(f"path_steps must be a whole number >= 0 (0 = whole journey), got {path_steps!r}.")
    # one query, one pass over the touches, for both per-deal tables
    both = db.run(
        con, "journey_paths", path_steps=path_steps, path_end=path_end, **path_reports.BAND_EDGES, **f.params()
    )
    deals = both[DEAL_COLUMNS]
    stats = both[STATS_COLUMNS].sort_values(
        ["outcome", "deal_id"], ascending=[False, True], kind="stable", ignore_index=True
    )
    return Journeys(
        deals=deals,
        paths=path_summary(deals),
        stats=stats,
        summary=stats_summary(stats),
        touches=distribution(stats, "touches"),
        days=distribution(stats, "days_first_touch_to_close"),
        transitions=EMPTY_TRANSITIONS.copy() if order is None else transition_matrix(con, f, order),
        reports=path_reports.distributions(both),
        collapsed_paths=collapsed_paths(deals),
    )
