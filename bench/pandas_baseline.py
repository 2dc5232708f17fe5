"""A plain pandas implementation of Closed Loop's rule-based attribution models.

This is the benchmark's "what a data team would write in a notebook" baseline: read
the tables into pandas, join each deal to its account's touches, keep the ones in
the deal's window, sort, and compute every touch's position with groupby per deal
(cumcount / size / transform), then each model's credit, then sum per channel.

It follows DESIGN.md and queries/macros.sql exactly (account scope):

* a deal's touches: its account's touches in [created_at - lookback days,
  coalesce(closed_at, now)], in journey order (occurred_at, then touchpoint_id);
* rn = place of the touch (FT = 1), n = touches (CL = n), n_lc / n_oc = touches at
  or before the earliest contact/lead creation of the account / the deal's creation
  (LC = touch n_lc, OC = touch n_oc; 0 = missing);
* position weights with the redistribution rule of `attribution_position_credit`;
  time decay 2^(-(last touch - touch) / half-life) normalized per deal;
* wins and won revenue over won deals, pipeline over deals with a created_at; deals
  without touches land in "No touchpoint" with credit 1.

`rollup(con)` returns the same rows as queries/attribution_rollup.sql (without the
custom model): model, key, attributed_wins, attributed_revenue_usd,
attributed_pipeline_usd. tests/test_bench_baseline.py checks that on the fixture.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

NO_TOUCHPOINT = "No touchpoint"

# relative weights FT, LC, OC, CL, middle (closedloop/engine/attribution/models.py)
POSITION_MODELS: dict[str, tuple[float, float, float, float, float]] = {
    "first_touch": (1, 0, 0, 0, 0),
    "last_touch": (0, 0, 0, 1, 0),
    "linear": (0, 0, 0, 0, 1),
    "u_shaped": (40, 40, 0, 0, 20),
    "w_shaped": (30, 30, 30, 0, 10),
    "full_path": (225, 225, 225, 225, 100),
    "position_40_20_40": (40, 0, 0, 40, 20),
    "j_shaped": (20, 0, 0, 60, 20),
    "inverse_j": (60, 0, 0, 20, 20),
}
MODELS = (*POSITION_MODELS, "time_decay")


def load(con, by: str = "channel") -> dict[str, pd.DataFrame]:
    """The columns the models need, read from a Closed Loop database into pandas."""
    return {
        # the key column by name through the relation API (an identifier can't be bound)
        "touchpoints": con.table("touchpoints")
        .select("touchpoint_id", "occurred_at", "account_id", duckdb.ColumnExpression(by).alias("key"))
        .df(),
        "deals": con.sql("select deal_id, account_id, created_at, closed_at, outcome, amount from deals").df(),
        "first_lead": con.sql(
            "select account_id, min(created_at) as lead_created_at from ("
            " select account_id, created_at from contacts union all select account_id, created_at from leads)"
            " where account_id is not null group by account_id"
        ).df(),
    }


def position_credit(w: tuple[float, ...], rn: np.ndarray, n: np.ndarray, n_lc: np.ndarray, n_oc: np.ndarray):
    """`attribution_position_credit` of queries/macros.sql, vectorized over touches."""
    w_ft, w_lc, w_oc, w_cl, w_mid = (float(x) for x in w)
    ft, lc, oc, cl = w_ft > 0, w_lc > 0, w_oc > 0, w_cl > 0
    middle_count = (
        n
        - int(ft)
        - (lc & (n_lc > 0) & ~(ft & (n_lc == 1))).astype(np.int64)
        - (oc & (n_oc > 0) & ~(ft & (n_oc == 1)) & ~(lc & (n_oc == n_lc))).astype(np.int64)
        - (cl & ~(ft & (n == 1)) & ~(lc & (n == n_lc)) & ~(oc & (n == n_oc))).astype(np.int64)
    )
    present = (
        w_ft
        + w_cl
        + np.where(n_lc > 0, w_lc, 0.0)
        + np.where(n_oc > 0, w_oc, 0.0)
        + np.where(middle_count > 0, w_mid, 0.0)
    )
    held = (
        np.where(rn == 1, w_ft, 0.0)
        + np.where(rn == n_lc, w_lc, 0.0)
        + np.where(rn == n_oc, w_oc, 0.0)
        + np.where(rn == n, w_cl, 0.0)
    )
    is_position = (ft & (rn == 1)) | (lc & (rn == n_lc)) | (oc & (rn == n_oc)) | (cl & (rn == n))
    with np.errstate(divide="ignore", invalid="ignore"):
        mid_share = np.where(is_position, 0.0, w_mid / np.maximum(middle_count, 1))
        credit = np.where(present == 0, 1.0 / n, (held + mid_share) / np.where(present == 0, 1.0, present))
    return credit


def touch_credit(
    tables: dict[str, pd.DataFrame], lookback_days: int = 180, half_life_days: float = 7.0
) -> pd.DataFrame:
    """One row per deal and touch in its window: deal_id, key and one credit column per model."""
    deals = tables["deals"].merge(tables["first_lead"], on="account_id", how="left")
    m = deals[["deal_id", "account_id", "created_at", "closed_at", "lead_created_at"]].merge(
        tables["touchpoints"], on="account_id", how="inner"
    )
    now = pd.Timestamp.now()
    start = m["created_at"] - pd.Timedelta(days=lookback_days)
    end = m["closed_at"].fillna(now)
    m = m[(m["occurred_at"] >= start) & (m["occurred_at"] <= end)]
    m = m.sort_values(["deal_id", "occurred_at", "touchpoint_id"], kind="stable").reset_index(drop=True)
    g = m.groupby("deal_id", sort=False)
    m["rn"] = g.cumcount().to_numpy() + 1
    m["n"] = g["deal_id"].transform("size").to_numpy()
    # a null lead creation compares False, so n_lc = 0 (LC missing)
    m["_lc"] = (m["occurred_at"] <= m["lead_created_at"]).astype(np.int64)
    m["_oc"] = (m["occurred_at"] <= m["created_at"]).astype(np.int64)
    g = m.groupby("deal_id", sort=False)
    n_lc = g["_lc"].transform("sum").to_numpy()
    n_oc = g["_oc"].transform("sum").to_numpy()
    rn, n = m["rn"].to_numpy(), m["n"].to_numpy()
    out = m[["deal_id", "key"]].copy()
    for name, w in POSITION_MODELS.items():
        out[name] = position_credit(w, rn, n, n_lc, n_oc)
    # time decay, measured from the deal's last touch (equal after normalization)
    last_at = g["occurred_at"].transform("max")
    seconds = (m["occurred_at"] - last_at).dt.total_seconds().to_numpy()
    decay = np.power(2.0, seconds / (86400.0 * half_life_days))
    per_deal = pd.Series(decay).groupby(m["deal_id"].to_numpy(), sort=False).transform("sum").to_numpy()
    out["time_decay"] = decay / per_deal
    return out


def rollup(con, by: str = "channel", lookback_days: int = 180, half_life_days: float = 7.0) -> pd.DataFrame:
    """Every rule-based model's wins, won revenue and pipeline per key, all deals (no period)."""
    tables = load(con, by)
    credit = touch_credit(tables, lookback_days, half_life_days)
    deals = tables["deals"]
    d = pd.DataFrame(
        {
            "deal_id": deals["deal_id"],
            "amount": deals["amount"].fillna(0.0).astype(float),
            "won": ((deals["outcome"] == "won") & deals["closed_at"].notna()).astype(float),
            "created": deals["created_at"].notna().astype(float),
        }
    )
    d = d[(d["won"] == 1) | (d["created"] == 1)]
    keyed = d.merge(credit, on="deal_id", how="left")
    untouched = keyed["key"].isna() & ~keyed["deal_id"].isin(credit["deal_id"])
    keyed.loc[untouched, "key"] = NO_TOUCHPOINT
    keyed.loc[untouched, list(MODELS)] = 1.0
    won = keyed["won"].to_numpy()
    won_amount = won * keyed["amount"].to_numpy()
    created_amount = keyed["created"].to_numpy() * keyed["amount"].to_numpy()
    wide = {}
    for name in MODELS:
        c = keyed[name].to_numpy()
        wide[(name, "attributed_wins")] = c * won
        wide[(name, "attributed_revenue_usd")] = c * won_amount
        wide[(name, "attributed_pipeline_usd")] = c * created_amount
    # one groupby over every model and measure, on a categorical key
    sums = pd.DataFrame(wide).groupby(keyed["key"].astype("category").to_numpy(), observed=True).sum()
    long = sums.stack(level=0, future_stack=True).reset_index()
    long.columns = ["key", "model", *long.columns[2:]]
    return long[["model", "key", "attributed_wins", "attributed_revenue_usd", "attributed_pipeline_usd"]]
