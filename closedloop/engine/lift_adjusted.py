"""Win-rate lift adjusted for the account (issue 14; docs/attribution.md, "Lift adjusted for the account").

The raw lift (closedloop.engine.lift) compares the win rate of the closed deals a key touched with the
win rate of those it did not. When a touch mostly reaches accounts that win more often anyway
(enterprise accounts, one region, large deals), that difference is partly who the deal is. Here
each key's deals are split into strata of account segment x region x deal-size band, one 2x2
table (touched / not touched x won / lost) per stratum, and pooled with Cochran-Mantel-Haenszel
(statsmodels' StratifiedTable): the Mantel-Haenszel common odds ratio, its 95% interval (Robins,
Breslow and Greenland's variance) and the CMH test of odds ratio 1 (with continuity correction,
as R's mantelhaen.test). Beside it, the raw (crude) odds ratio of the collapsed table
(statsmodels' Table2x2) so the two read in the same unit, and a plain sentence where they
disagree.

Only strata in which the key touched some deals and left others untouched say anything about it
("informative" strata); a key whose informative strata hold few deals on the smaller side is
`thin` and is shown faint with its counts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

from closedloop import db
from closedloop.engine import lift
from closedloop.engine.attribution.api import resolve_filters
from closedloop.filters import DateArg, Filters

# Deal-size bands: a band starts at each edge (USD); below the first edge is band 0.
DEFAULT_BAND_EDGES: tuple[float, ...] = (25_000.0, 100_000.0)
STRATA = ("segment", "region", "size band")
# A key is thin when its informative strata hold on average fewer than this many deals on the
# smaller side (touched or not touched): the pooled ratio then leans on a handful of deals.
MIN_DEALS_PER_STRATUM = 5
# Share of the raw lift (on the log-odds scale) that the strata explain for "most of this lift".
MOSTLY_EXPLAINED = 0.5
# ... and "much of it", when the adjusted interval also takes in 1.
PARTLY_EXPLAINED = 0.25
STRATUM_COLUMNS = ["key", "label", "segment", "region", "size_band", "touched_won", "touched_lost"]
COLUMNS = [
    "key",
    "label",
    "deals_touched_won",
    "deals_touched_lost",
    "deals_not_touched_won",
    "deals_not_touched_lost",
    "win_rate_touched",
    "win_rate_not_touched",
    "win_rate_diff",
    "odds_ratio_raw",
    "odds_ratio_raw_low95",
    "odds_ratio_raw_high95",
    "odds_ratio_adjusted",
    "odds_ratio_adjusted_low95",
    "odds_ratio_adjusted_high95",
    "cmh_p_value",
    "strata_used",
    "deals_in_strata_used",
    "smaller_side_per_stratum",
    "thin",
    "share_explained",
    "reaches",
    "sentence",
]


def band_labels(edges: Sequence[float]) -> list[str]:
    """'under $25k', '$25k–$100k', '$100k and over' for edges (25000, 100000)."""

    def money(x: float) -> str:
        if x >= 1_000_000 and x % 1_000_000 == 0:
            return f"${x / 1_000_000:g}M"
        if x >= 1_000 and x % 1_000 == 0:
            return f"${x / 1_000:g}k"
        return f"${x:,.0f}"

    if not edges:
        return ["any size"]
    out = [f"under {money(edges[0])}"]
    out += [f"{money(a)}–{money(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    out.append(f"{money(edges[-1])} and over")
    return out


def check_band_edges(edges: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(e) for e in edges)
    if any(not math.isfinite(e) or e <= 0 for e in out) or list(out) != sorted(set(out)):
        raise ValueError(f"Deal-size band edges must be positive amounts in increasing order, got {list(edges)}.")
    return out


@dataclass(frozen=True)
class AdjustedLift:
    table: pd.DataFrame  # COLUMNS, one row per key, largest raw lift first
    strata: pd.DataFrame  # one row per key and stratum: touched and not-touched won / lost
    deals_won: int
    deals_lost: int
    band_edges: tuple[float, ...]

    @property
    def empty(self) -> bool:
        return self.table.empty


def strata_counts(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    dimension: str = "touchpoint_type",
    band_edges: Sequence[float] = DEFAULT_BAND_EDGES,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(touched counts per key and stratum, closed deals per stratum) from the two queries."""
    if dimension not in lift.DIMENSIONS:
        raise ValueError(f"Unknown lift dimension {dimension!r}; choose one of {', '.join(lift.DIMENSIONS)}.")
    edges = list(check_band_edges(band_edges))
    touched = db.run(con, "lift_strata", **f.params(), dimension=dimension, band_edges=edges)
    deals = db.run(
        con,
        "lift_strata_deals",
        date_from=f.date_from,
        date_to=f.date_to,
        segment=f.segment,
        region=f.region,
        owner=f.owner,
        band_edges=edges,
    )
    return touched, deals


def adjusted_lift(
    con: duckdb.DuckDBPyConnection,
    date_from: DateArg = None,
    date_to: DateArg = None,
    dimension: str = "touchpoint_type",
    f: Filters | None = None,
    *,
    band_edges: Sequence[float] = DEFAULT_BAND_EDGES,
    **filters: Any,
) -> AdjustedLift:
    """Raw and stratified lift of every key of `dimension` among the deals closed in the period of
    `f` (or of the dates and Filters' other fields as keywords)."""
    f = resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters})
    edges = check_band_edges(band_edges)
    touched, deals = strata_counts(con, f, dimension, edges)
    return pool(touched, deals, edges)


def pool(touched: pd.DataFrame, deals: pd.DataFrame, band_edges: Sequence[float] = DEFAULT_BAND_EDGES) -> AdjustedLift:
    """The queries' counts -> one row per key (COLUMNS) and the per-stratum tables."""
    edges = tuple(band_edges)
    won, lost = int(deals["stratum_won"].sum()), int(deals["stratum_lost"].sum())
    strata = touched.merge(deals, on=["segment", "region", "size_band"], how="left", validate="many_to_one")
    strata["not_touched_won"] = strata["stratum_won"] - strata["touched_won"]
    strata["not_touched_lost"] = strata["stratum_lost"] - strata["touched_lost"]
    labels = band_labels(edges)
    strata["size_band_label"] = strata["size_band"].map(lambda i: labels[int(i)])
    strata = strata.drop(columns=["stratum_won", "stratum_lost"])
    if strata.empty:
        return AdjustedLift(pd.DataFrame(columns=COLUMNS), strata, won, lost, edges)
    sums = strata.groupby(["key", "label"], as_index=False, sort=True)[["touched_won", "touched_lost"]].sum()
    raw = lift._with_rates(
        sums.rename(columns={"touched_won": "deals_touched_won", "touched_lost": "deals_touched_lost"}).assign(
            deals_won=won, deals_lost=lost
        )
    )
    rows = []
    by_key = dict(tuple(strata.groupby("key", sort=False)))
    reaches = _reaches(strata, deals, raw, labels)
    for r in raw.to_dict("records"):
        rows.append({**r, **_pooled(r, by_key[r["key"]], reaches[r["key"]])})
    table = pd.DataFrame(rows)
    table = table.sort_values(
        ["win_rate_diff", "key"], ascending=[False, True], na_position="last", kind="stable", ignore_index=True
    )
    return AdjustedLift(table[COLUMNS], strata.reset_index(drop=True), won, lost, edges)


def _ratio_ci(table: Table2x2 | StratifiedTable, pooled: bool) -> tuple[float, float, float]:
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if pooled:
            value = float(table.oddsratio_pooled)  # type: ignore[union-attr]
            low, high = table.oddsratio_pooled_confint()  # type: ignore[union-attr]
        else:
            value = float(table.oddsratio)  # type: ignore[union-attr]
            low, high = table.oddsratio_confint()  # type: ignore[union-attr]
    return value, float(low), float(high)


def _clean(x: float) -> float:
    return x if math.isfinite(x) else float("nan")


def _pooled(raw: dict, key_strata: pd.DataFrame, reaches: str) -> dict:
    """CMH over the key's informative strata, the raw odds ratio, and the sentence."""
    tw, tl = raw["deals_touched_won"], raw["deals_touched_lost"]
    nw, nl = raw["deals_not_touched_won"], raw["deals_not_touched_lost"]
    out: dict = {
        "odds_ratio_raw": np.nan,
        "odds_ratio_raw_low95": np.nan,
        "odds_ratio_raw_high95": np.nan,
        "odds_ratio_adjusted": np.nan,
        "odds_ratio_adjusted_low95": np.nan,
        "odds_ratio_adjusted_high95": np.nan,
        "cmh_p_value": np.nan,
        "strata_used": 0,
        "deals_in_strata_used": 0,
        "smaller_side_per_stratum": 0.0,
        "thin": True,
        "share_explained": np.nan,
        "reaches": "",
        "sentence": "",
    }
    # rows touched / not touched, columns won / lost
    if min(tw + tl, nw + nl) > 0 and min(tw + nw, tl + nl) > 0 and tl * nw > 0 and tw * nl > 0:
        raw_or = _ratio_ci(Table2x2(np.array([[tw, tl], [nw, nl]], dtype=float)), pooled=False)
        out.update(zip(("odds_ratio_raw", "odds_ratio_raw_low95", "odds_ratio_raw_high95"), raw_or, strict=True))
    s = key_strata
    t = s["touched_won"] + s["touched_lost"]
    n = s["not_touched_won"] + s["not_touched_lost"]
    used = s[(t > 0) & (n > 0)]
    if not used.empty:
        tables = [
            np.array([[a, b], [c, d]], dtype=float)
            for a, b, c, d in used[["touched_won", "touched_lost", "not_touched_won", "not_touched_lost"]].itertuples(
                index=False
            )
        ]
        st = StratifiedTable(tables)
        adj = _ratio_ci(st, pooled=True)
        out.update(
            zip(("odds_ratio_adjusted", "odds_ratio_adjusted_low95", "odds_ratio_adjusted_high95"), adj, strict=True)
        )
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            out["cmh_p_value"] = float(st.test_null_odds(correction=True).pvalue)
        ut = used["touched_won"] + used["touched_lost"]
        un = used["not_touched_won"] + used["not_touched_lost"]
        out["strata_used"] = len(used)
        out["deals_in_strata_used"] = int((ut + un).sum())
        out["smaller_side_per_stratum"] = float(np.minimum(ut, un).mean())
        out["thin"] = out["smaller_side_per_stratum"] < MIN_DEALS_PER_STRATUM
    for k in list(out):
        if isinstance(out[k], float) and k != "smaller_side_per_stratum":
            out[k] = _clean(out[k])
    out["share_explained"] = _share_explained(out["odds_ratio_raw"], out["odds_ratio_adjusted"])
    out["reaches"] = reaches
    out["sentence"] = sentence(raw["label"], out)
    return out


def _share_explained(raw_or: float, adj_or: float) -> float:
    """How much of the raw log odds ratio the strata account for: 1 - log(adjusted) / log(raw)."""
    if not (math.isfinite(raw_or) and math.isfinite(adj_or)) or raw_or <= 0 or adj_or <= 0:
        return float("nan")
    if abs(math.log(raw_or)) < 1e-9:
        return float("nan")
    return 1.0 - math.log(adj_or) / math.log(raw_or)


def _reaches(strata: pd.DataFrame, deals: pd.DataFrame, raw: pd.DataFrame, labels: list[str]) -> dict[str, str]:
    """Per key, the kind of account that most explains its raw difference: over every segment, region
    and size band, (share of the key's touched deals in it - share of its not-touched deals in it) x
    (its win rate - the period's win rate); the largest in the raw difference's direction ('' if none).
    All keys at once: one grouped sum per attribute."""
    total_won = float(deals["stratum_won"].sum())
    total = total_won + float(deals["stratum_lost"].sum())
    sign = np.sign(raw.set_index("key")["win_rate_diff"].astype(float)).fillna(0.0)
    touched_all = (strata["touched_won"] + strata["touched_lost"]).groupby(strata["key"]).sum().reindex(sign.index)
    not_touched_all = total - touched_all
    best = pd.Series("", index=sign.index, dtype=object)
    best_score = pd.Series(0.0, index=sign.index)
    if total == 0:
        return best.to_dict()
    for attr, noun in (("segment", "{} accounts"), ("region", "accounts in {}"), ("size_band", "deals {}")):
        d = deals.groupby(attr)[["stratum_won", "stratum_lost"]].sum()
        all_deals = d.sum(axis=1)
        lift_of_value = d["stratum_won"] / all_deals - total_won / total
        k = (
            (strata["touched_won"] + strata["touched_lost"])
            .groupby([strata["key"], strata[attr]])
            .sum()
            .unstack(fill_value=0)
            .reindex(index=sign.index, columns=d.index, fill_value=0)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            share_touched = k.div(touched_all, axis=0)
            share_not = (-k).add(all_deals, axis=1).div(not_touched_all, axis=0)
        score = (share_touched - share_not).mul(lift_of_value, axis=1).mul(sign, axis=0).fillna(0.0)
        top, at = score.max(axis=1), score.idxmax(axis=1)
        better = top > best_score
        for key in better[better].index:
            value = at[key]
            best[key] = noun.format(labels[int(value)] if attr == "size_band" else value)
        best_score = best_score.where(~better, top)
    return best.to_dict()


def _fmt_or(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.2f}" if x < 10 else f"{x:.0f}"


def sentence(label: str, r: dict) -> str:
    """A plain sentence where the raw and the adjusted lift disagree, else '':

    * the raw odds ratio's interval excludes 1 and the strata explain at least half of it
      (share_explained >= MOSTLY_EXPLAINED): "Most of X's lift is that X reaches SMB accounts";
    * the raw interval excludes 1, the adjusted one does not, and the strata explain at least
      PARTLY_EXPLAINED of it: "Much of X's lift is that ...; within the same kind of account it
      could be chance";
    * the adjusted interval excludes 1 on the other side of 1 from the raw ratio: X helps (or
      hurts) within the same kind of account although the raw figure says otherwise;
    * the adjusted interval excludes 1 and the raw one does not: the lift is clearer within strata.
    """
    raw, adj = r["odds_ratio_raw"], r["odds_ratio_adjusted"]
    if not (math.isfinite(raw) and math.isfinite(adj)):
        return ""
    raw_sig = r["odds_ratio_raw_low95"] > 1 or r["odds_ratio_raw_high95"] < 1
    adj_sig = r["odds_ratio_adjusted_low95"] > 1 or r["odds_ratio_adjusted_high95"] < 1
    share = r["share_explained"]
    reaches = r["reaches"]
    figures = f"odds of winning ×{_fmt_or(raw)} overall, ×{_fmt_or(adj)} within the same segment, region and deal size"
    who = f"that {label} reaches {reaches}" if reaches else "the kind of account it reaches"
    # a raw lift that could be chance needs no explaining
    if raw_sig and math.isfinite(share) and share >= MOSTLY_EXPLAINED:
        what = "lift" if raw > 1 else "lower win rate"
        return f"Most of {label}'s {what} is {who} ({figures})."
    if raw_sig and not adj_sig and math.isfinite(share) and share >= PARTLY_EXPLAINED:
        what = "lift" if raw > 1 else "lower win rate"
        return f"Much of {label}'s {what} is {who}; within the same kind of account it could be chance ({figures})."
    if (raw - 1) * (adj - 1) < 0 and adj_sig:
        direction = "helps" if adj > 1 else "hurts"
        return (
            f"{label} {direction} within the same kind of account although the raw figure says otherwise ({figures})."
        )
    if adj_sig and not raw_sig:
        what = "lift" if adj > 1 else "lower win rate"
        return f"Within the same kind of account {label}'s {what} is clearer than the raw figure shows ({figures})."
    return ""
