"""Spend and return per channel or campaign, and credit over time (issue 14; docs/spend.md).

Spend and attributed credit, both summed per month or quarter (periods.py), are matched period by
period: the spend of a period is set against the credit booked in the same period
(MATCHING_RULE[booking]).

Markov and Shapley learn from closed deals and credit channels, not single touches: under them
the figures come from the period's roll-up (close booking only; no opportunity or pipeline
figure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from closedloop.engine.attribution import api
from closedloop.engine.attribution.models import (
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_ORDER,
    MODELS,
    NO_TOUCHPOINT,
    as_weights,
    check_model,
)
from closedloop.engine.periods import (
    BOOKINGS,
    CREDIT,
    GRAINS,
    SPEND_BY,
    check,
    check_spend_by,
    credit_by_period,
    monthly_inputs,
    period_end,
    period_start,
    quarter_label,
    spend_by_period,
    whole_periods,
)
from closedloop.filters import Filters, as_date

# The rule that matches spend to credit, as the page and the CLI state it.
MATCHING_RULE = {
    "close": "Spend of each month is set against the credit booked in that month: won deals and their "
    "revenue in the month they closed, opportunities and pipeline in the month they were created. "
    "The period is whole months.",
    "touch": "Spend of each month is set against the credit of the touches that happened in that month "
    "(won deals and opportunities, whenever they closed or were created). The period is whole months.",
}

REPORT_COLUMNS = [
    "key",
    "spend_usd",
    "leads",
    "attributed_opportunities",
    "attributed_wins",
    "attributed_revenue_usd",
    "attributed_pipeline_usd",
    "cost_per_lead_usd",
    "cost_per_opportunity_usd",
    "cac_usd",
    "roas",
    "pipeline_per_spend",
]


def _ratios(df: pd.DataFrame) -> pd.DataFrame:
    spend = df["spend_usd"].where(df["spend_usd"] > 0)

    def per(count: pd.Series) -> pd.Series:
        return spend / count.where(count > 0)

    return df.assign(
        cost_per_lead_usd=per(df["leads"]),
        cost_per_opportunity_usd=per(df["attributed_opportunities"]),
        cac_usd=per(df["attributed_wins"]),
        roas=df["attributed_revenue_usd"] / spend,
        pipeline_per_spend=df["attributed_pipeline_usd"] / spend,
    )


def spend_report(
    con: Any,
    model: str = "linear",
    by: str = "channel",
    date_from: Any = None,
    date_to: Any = None,
    booking: str = "close",
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: Any = None,
    monthly: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Spend and return per channel or campaign under one model over the whole months from
    date_from to date_to (MATCHING_RULE[booking]): REPORT_COLUMNS, sorted by spend, keys with
    credit but no spend kept (their ratios are empty), the "No touchpoint" row last.

    cost_per_lead_usd = spend / leads created (by the lead's source channel or campaign);
    cost_per_opportunity_usd = spend / attributed opportunities; cac_usd = spend / attributed
    wins; roas = attributed won revenue / spend; pipeline_per_spend = attributed pipeline /
    spend. A ratio is empty (NaN) when its divisor is 0 or no spend is recorded for the key (a
    cost of 0 would read as free), never infinite.
    """
    check_model(model)
    check_spend_by(by)
    check(by, "month", booking)
    f = api.resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters})
    spend = monthly[1] if monthly else spend_by_period(con, by, "month", f.date_from, f.date_to)
    spent = spend.groupby("key", as_index=False)[["spend_usd", "leads"]].sum()
    if MODELS[model].kind == "rule":
        credit = (
            monthly[0]
            if monthly
            else credit_by_period(
                con, [model], by, "month", booking, f=f, half_life_days=half_life_days, weights=weights
            )
        )
        booked = credit.groupby("key", as_index=False)[CREDIT].sum()
    else:
        if booking != "close":
            raise ValueError(f"{model} credits channels of closed deals, not touches: book its credit on the close.")
        rolled = api.rollup(
            con,
            model,
            by=by,
            f=whole_periods(f, "month"),
            half_life_days=half_life_days,
            order=order,
            weights=weights,
        )
        booked = rolled[["key", "attributed_wins", "attributed_revenue_usd"]].assign(
            attributed_opportunities=np.nan, attributed_pipeline_usd=np.nan
        )
    out = spent.merge(booked, on="key", how="outer")
    out[["spend_usd", "leads"]] = out[["spend_usd", "leads"]].fillna(0)
    # the data-driven models have no opportunity or pipeline figure: those stay empty
    filled = CREDIT if MODELS[model].kind == "rule" else ["attributed_wins", "attributed_revenue_usd"]
    out[filled] = out[filled].fillna(0.0)
    out["leads"] = out["leads"].astype("int64")
    out = _ratios(out)[REPORT_COLUMNS]
    last = out["key"] == NO_TOUCHPOINT
    ordered = out[~last].sort_values(["spend_usd", "attributed_revenue_usd", "key"], ascending=[False, False, True])
    return pd.concat([ordered, out[last]], ignore_index=True)


# the report column of each spend measure, and whether more is better (ROAS) or less (costs)
MEASURE_COLUMNS = {
    "spend": ("spend_usd", True),
    "roas": ("roas", True),
    "pipeline_per_spend": ("pipeline_per_spend", True),
    "cac": ("cac_usd", False),
    "cost_per_lead": ("cost_per_lead_usd", False),
    "cost_per_opportunity": ("cost_per_opportunity_usd", False),
}


SPEND_MEASURES = tuple(MEASURE_COLUMNS)


def compare_spend(con: Any, measure: str = "roas", models: Sequence[str] | None = None, **params: Any) -> pd.DataFrame:
    """One spend measure under every model (default: every model but custom) side by side: key,
    spend_usd, a column per model, rank_<model> (1 = best: highest ROAS or pipeline ÷ spend,
    lowest cost) and rank_spread; keys without spend are not ranked. `params`: spend_report's."""
    if measure not in MEASURE_COLUMNS:
        raise ValueError(f"Measure must be one of {', '.join(MEASURE_COLUMNS)}, got {measure!r}.")
    column, more_is_better = MEASURE_COLUMNS[measure]
    if models is None:
        models = [m for m in MODELS if m != "custom"]
        if params.get("booking", "close") == "touch" or measure in ("cost_per_opportunity", "pipeline_per_spend"):
            models = [m for m in models if MODELS[m].kind == "rule"]
    reports = {m: spend_report(con, m, **params).set_index("key") for m in models}
    first = next(iter(reports.values()))
    wide = pd.DataFrame({"spend_usd": first["spend_usd"], **{m: r[column] for m, r in reports.items()}})
    wide = wide.reset_index()
    # keys without spend have no cost or return to rank
    return api.ranked(wide, models, wide["spend_usd"] > 0, ascending=not more_is_better)


def credit_over_time(
    con: Any,
    model: str = "linear",
    by: str = "channel",
    grain: str = "month",
    booking: str = "close",
    date_from: Any = None,
    date_to: Any = None,
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    weights: Any = None,
    monthly: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Attributed wins, won revenue, spend and ROAS per period and key under one rule-based model:
    period, key, attributed_wins, attributed_revenue_usd, attributed_opportunities,
    attributed_pipeline_usd, spend_usd, roas (spend only when `by` is channel or campaign)."""
    f = api.resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters})
    if monthly and grain == "month":
        credit = monthly[0]
    else:
        credit = credit_by_period(con, [model], by, grain, booking, f=f, half_life_days=half_life_days, weights=weights)
    credit = credit.drop(columns="model")
    if by in SPEND_BY:
        spend = monthly[1] if monthly and grain == "month" else spend_by_period(con, by, grain, f.date_from, f.date_to)
        spend = spend[["period", "key", "spend_usd"]]
        out = credit.merge(spend, on=["period", "key"], how="outer")
        out[CREDIT] = out[CREDIT].fillna(0.0)
        out["spend_usd"] = out["spend_usd"].fillna(0.0)
        out["roas"] = out["attributed_revenue_usd"] / out["spend_usd"].where(out["spend_usd"] > 0)
    else:
        out = credit.assign(spend_usd=np.nan, roas=np.nan)
    return out.sort_values(["period", "key"], ignore_index=True)


def ranks_over_quarters(
    con: Any,
    quarters: int = 4,
    end: Any = None,
    by: str = "channel",
    measure: str = "wins",
    booking: str = "close",
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: Any = None,
    data_driven: bool = True,
    **filters: Any,
) -> pd.DataFrame:
    """The rank of each key (1 = most credit) under every model in each of the last `quarters`
    quarters up to the one holding `end` (default: the latest close): quarter, model, key, value,
    rank. Rule-based models come from one pass; Markov and Shapley (close booking, wins or revenue
    only) from one roll-up per quarter. "No touchpoint" is not ranked."""
    column = api.MEASURE_COLUMNS.get(measure)
    if column is None:
        raise ValueError(f"Measure must be one of {', '.join(api.MEASURE_COLUMNS)}, got {measure!r}.")
    if not 1 <= int(quarters) <= 12:
        raise ValueError(f"Quarters must be 1 to 12, got {quarters!r}.")
    if end is None:
        latest = con.cursor().execute("select max(closed_at) from deals").fetchone()[0]
        if latest is None:
            return pd.DataFrame(columns=["quarter", "model", "key", "value", "rank"])
        end = latest.date() if hasattr(latest, "date") else latest
    last = period_start(as_date(end, "end"), "quarter")
    first = (pd.Timestamp(last) - pd.DateOffset(months=3 * (int(quarters) - 1))).date()
    w = as_weights(weights)
    f = api.resolve_filters(f, filters).with_(date_from=first, date_to=last)
    rules = credit_by_period(con, None, by, "quarter", booking, f=f, half_life_days=half_life_days, weights=w)
    rules = rules.rename(columns={column: "value"})[["period", "model", "key", "value"]]
    parts = [rules]
    if data_driven and booking == "close" and measure != "pipeline":
        names = [n for n, m in MODELS.items() if m.kind != "rule"]
        start = first
        while start <= last:
            quarter = f.with_(date_from=start, date_to=period_end(start, "quarter"))
            got = api.rollups(con, names, by=by, f=quarter, half_life_days=half_life_days, order=order, weights=w)
            for name, df in got.items():
                parts.append(df[["key", column]].rename(columns={column: "value"}).assign(period=start, model=name))
            start = (pd.Timestamp(start) + pd.DateOffset(months=3)).date()
    out = pd.concat(parts, ignore_index=True)
    out = out[out["key"] != NO_TOUCHPOINT]
    out = out.groupby(["period", "model", "key"], as_index=False)["value"].sum()
    out["rank"] = out.groupby(["period", "model"])["value"].rank(ascending=False, method="min").astype("int64")
    out["quarter"] = [quarter_label(p) for p in out["period"]]
    order_of = {m: i for i, m in enumerate(MODELS)}
    out = out.assign(_m=out["model"].map(order_of)).sort_values(["period", "_m", "rank", "key"])
    return out[["quarter", "model", "key", "value", "rank"]].reset_index(drop=True)


__all__ = [
    "BOOKINGS",
    "CREDIT",
    "GRAINS",
    "MATCHING_RULE",
    "SPEND_BY",
    "SPEND_MEASURES",
    "compare_spend",
    "credit_by_period",
    "credit_over_time",
    "monthly_inputs",
    "period_end",
    "period_start",
    "quarter_label",
    "ranks_over_quarters",
    "spend_by_period",
    "spend_report",
]
