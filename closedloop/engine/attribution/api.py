"""The attribution engine's API for the dashboard and the CLI: roll-ups per key and the model
comparison, over a Closed Loop database. Credit per touch (the per-deal receipt, touch_credit)
is in per_touch.py and importable from here too.

Rule-based models run in SQL (queries/attribution_*.sql on the macros in
queries/macros.sql); Markov and Shapley count in SQL and solve in numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.engine.attribution import inputs as fast
from closedloop.engine.attribution import markov, shapley
from closedloop.engine.attribution.models import (
    BY_KEYS,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_ORDER,
    MEASURES,
    MODELS,
    NO_TOUCHPOINT,
    RULE_MODELS,
    CustomWeights,
    WeightsArg,
    as_weights,
    check_model,
    describe,
)
from closedloop.engine.attribution.per_touch import (
    catalogue_params,
    check_half_life,
    receipt,
    rule_params,
    touch_credit,
    wide_credit,
)
from closedloop.filters import Filters

ROLLUP_COLUMNS = ["key", "attributed_wins", "attributed_revenue_usd", "attributed_pipeline_usd"]
MEASURE_COLUMNS = {
    "wins": "attributed_wins",
    "revenue": "attributed_revenue_usd",
    "pipeline": "attributed_pipeline_usd",
}


def resolve_filters(f: Filters | None, loose: dict[str, Any]) -> Filters:
    """The call's Filters: `f` as it is, or the filter keywords (Filters.of's, for the command line,
    tests and notebooks) when the caller has no Filters value; a keyword given as None is unset."""
    loose = {k: v for k, v in loose.items() if v is not None}
    if f is None:
        return Filters.of(**loose)
    if loose:
        raise TypeError(f"Pass the filters as f or as keywords, not both: {', '.join(sorted(loose))}.")
    return f


def _check_by(by: str) -> str:
    if by not in BY_KEYS:
        raise ValueError(f"Group by one of {', '.join(BY_KEYS)}, got {by!r}.")
    return by


def _no_touchpoint_last(df: pd.DataFrame, sort_by: str) -> pd.DataFrame:
    last = df["key"] == NO_TOUCHPOINT
    # credit sums differ in the last bits with the order they were added in (parallel SQL): keys
    # whose credit ties to 9 decimals are ordered by name, whichever tables answered
    rounded = df[sort_by].round(9).rename("_sort")
    ordered = (
        df[~last]
        .join(rounded)
        .sort_values(["_sort", "key"], ascending=[False, True], kind="stable")
        .drop(columns="_sort")
    )
    return pd.concat([ordered, df[last]], ignore_index=True)


def model_catalogue(
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS, order: int = DEFAULT_ORDER, weights: WeightsArg = None
) -> pd.DataFrame:
    """Every model with its label and exact weights (parameters filled in), for a model picker."""
    w = as_weights(weights)
    return pd.DataFrame(
        [
            {
                "model": m.name,
                "label": m.label,
                "kind": m.kind,
                "weights": describe(m.name, half_life_days=half_life_days, order=order, weights=w),
            }
            for m in MODELS.values()
        ]
    )


def _closed_totals(coalitions: pd.DataFrame) -> tuple[float, float, float, float, bool]:
    """(wins, won revenue) of touched and untouched closed deals, and whether any closed deal had no touch."""
    empty = coalitions["channels"].map(len) == 0
    touched, untouched = coalitions[~empty], coalitions[empty]
    return (
        float(touched["wins"].sum()),
        float(touched["won_revenue_usd"].sum()),
        float(untouched["wins"].sum()),
        float(untouched["won_revenue_usd"].sum()),
        bool(empty.any()),
    )


def _totals_of(closed: pd.DataFrame) -> tuple[float, float, float, float, bool]:
    """_closed_totals from queries/attribution_closed_totals.sql (one row per touched / untouched side)."""
    touched, untouched = closed[closed["touched"]], closed[~closed["touched"]]
    return (
        float(touched["wins"].sum()),
        float(touched["won_revenue_usd"].sum()),
        float(untouched["wins"].sum()),
        float(untouched["won_revenue_usd"].sum()),
        bool(len(untouched)),
    )


def _spread(shares: pd.DataFrame, totals: tuple[float, float, float, float, bool], extra: str) -> pd.DataFrame:
    """Channel shares times the touched deals' wins and revenue (totals: _closed_totals),
    plus the "No touchpoint" row."""
    wins, revenue, nt_wins, nt_revenue, has_untouched = totals
    out = pd.DataFrame(
        {
            "key": shares["channel"].astype(object),
            "attributed_wins": shares["share"] * wins,
            "attributed_revenue_usd": shares["share"] * revenue,
            # fitted on closed deals only: there is no pipeline figure to share out
            "attributed_pipeline_usd": np.nan,
            extra: shares[extra],
        }
    )
    if has_untouched:
        row = {
            "key": NO_TOUCHPOINT,
            "attributed_wins": nt_wins,
            "attributed_revenue_usd": nt_revenue,
            "attributed_pipeline_usd": np.nan,
            extra: np.nan,
        }
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return _no_touchpoint_last(out, "attributed_wins")


def _transitions(con: duckdb.DuckDBPyConnection, by: str, order: int, f: Filters) -> pd.DataFrame:
    """Transition counts of the period's closed journeys, states as lists of keys."""
    return fast.markov_transitions(con, by, order, f)


def _coalitions(con: duckdb.DuckDBPyConnection, by: str, f: Filters) -> pd.DataFrame:
    """Closed deals won and lost per set of keys (Shapley's coalitions)."""
    return fast.shapley_coalitions(con, by, f)


def markov_transitions(
    con: duckdb.DuckDBPyConnection,
    by: str = "channel",
    order: int = DEFAULT_ORDER,
    f: Filters | None = None,
    **filters: Any,
) -> pd.DataFrame:
    """Transition counts of the period's closed journeys (markov.transition_probabilities turns
    them into a heatmap's table). `f`, or Filters' fields as keywords."""
    f = resolve_filters(f, filters)
    order = markov.check_order(order)
    return _transitions(con, _check_by(by), order, f)


def default_models(weights: CustomWeights | None, measure: str = "wins") -> list[str]:
    """The models `compare_models` puts side by side: every model (custom only with weights), the
    data-driven ones only for a measure they have (not pipeline)."""
    return [
        name
        for name, m in MODELS.items()
        if (name != "custom" or weights is not None) and (m.kind == "rule" or measure != "pipeline")
    ]


def _rollups(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[str],
    by: str,
    f: Filters,
    half_life_days: float,
    order: int,
    weights: CustomWeights | None,
) -> dict[str, pd.DataFrame]:
    """Each model's roll-up, with one query per kind of model (all rule-based models in one pass)."""
    for name in models:
        check_model(name)
        if name == "custom" and weights is None:
            raise ValueError("The custom model needs weights (a TOML or JSON file, see docs/attribution.md).")
    kinds = {MODELS[name].kind for name in models}
    if "markov" in kinds:
        order = markov.check_order(order)
    out: dict[str, pd.DataFrame] = {}
    if "rule" in kinds:
        rules = _rule_rollup(con, by, f, half_life_days, weights)
        # a team's model with its own lookback: one more pass over the journeys at that lookback
        own = {lb for n in models if (lb := MODELS[n].lookback_days) is not None}
        for lookback in sorted(own):
            names = [n for n in models if MODELS[n].lookback_days == lookback]
            other = db.run(
                con,
                "attribution_rollup",
                by=by,
                **f.with_(lookback_days=lookback).params(),
                half_life_days=check_half_life(half_life_days),
                **catalogue_params(weights, names),
            )
            rules = pd.concat(
                [rules[~rules["model"].isin(names)], other[other["model"].isin(names)]], ignore_index=True
            )
        for name in models:
            if MODELS[name].kind == "rule":
                one = rules[rules["model"] == name][ROLLUP_COLUMNS].reset_index(drop=True)
                out[name] = _no_touchpoint_last(one, "attributed_wins")
    if "shapley" in kinds:
        # Shapley needs every deal's set of keys; Markov shares its totals
        coalitions = _coalitions(con, by, f)
        totals = _closed_totals(coalitions)
    elif "markov" in kinds:
        # Markov alone needs only the totals, not the sets of keys
        totals = _totals_of(fast.closed_totals(con, f))
    if "markov" in kinds:
        transitions = _transitions(con, by, order, f)
        out["markov"] = _spread(markov.removal_effects(transitions), totals, "removal_effect")
    for name in models:
        if MODELS[name].kind == "shapley":
            variant = "conversions" if name == "shapley_conversions" else "win_rate"
            out[name] = _spread(shapley.shapley_values(coalitions, variant), totals, "shapley_value")
    return {name: out[name] for name in models}


def _rule_rollup(
    con: duckdb.DuckDBPyConnection, by: str, f: Filters, half_life_days: float, weights: CustomWeights | None
) -> pd.DataFrame:
    """Every rule-based model's roll-up rows, in one query over the journeys."""
    return db.run(con, "attribution_rollup", by=by, **f.params(), **rule_params(half_life_days, weights))


def rollup(
    con: duckdb.DuckDBPyConnection,
    model: str,
    by: str = "channel",
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: WeightsArg = None,
    **filters: Any,
) -> pd.DataFrame:
    """Credit per key under one model: key, attributed_wins, attributed_revenue_usd, attributed_pipeline_usd.

    Wins and won revenue: deals won with closed_at in [date_from, date_to]; pipeline:
    amount of deals created in the period (rule-based models only; NaN for markov and
    shapley, which learn from closed deals). A "No touchpoint" row (last) holds deals
    without touches, so the totals equal the CRM's. Markov adds removal_effect,
    Shapley adds shapley_value.

    `f`: the filters (a page's Filters); or Filters' fields as keywords (date_from, date_to as
    dates or ISO text, segment, region, owner, lookback_days, scope).
    """
    check_model(model)
    f = resolve_filters(f, filters)
    return _rollups(con, [model], _check_by(by), f, half_life_days, order, as_weights(weights))[model]


def rollups(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[str] | None = None,
    by: str = "channel",
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: WeightsArg = None,
    **filters: Any,
) -> dict[str, pd.DataFrame]:
    """`rollup` for several models at once (default: every model; custom only with weights),
    as {model: DataFrame}; all rule-based models come from one SQL pass."""
    f = resolve_filters(f, filters)
    w = as_weights(weights)
    models = list(models) if models is not None else default_models(w)
    return _rollups(con, models, _check_by(by), f, half_life_days, order, w)


def compare_models(
    con: duckdb.DuckDBPyConnection,
    by: str = "channel",
    measure: str = "wins",
    models: Sequence[str] | None = None,
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    order: int = DEFAULT_ORDER,
    weights: WeightsArg = None,
    **filters: Any,
) -> pd.DataFrame:
    """Every model side by side: one row per key, one column per model (the measure), then
    rank_<model> (1 = most credit) for each and rank_spread (max - min rank); "No touchpoint"
    last and unranked.

    measure: wins, revenue or pipeline. Default models: every rule-based model (custom
    only when weights are given), plus markov and shapley except for pipeline.
    """
    if measure not in MEASURES:
        raise ValueError(f"Measure must be one of {', '.join(MEASURES)}, got {measure!r}.")
    f = resolve_filters(f, filters)
    w = as_weights(weights)
    models = list(models) if models is not None else default_models(w, measure)
    for name in models:
        if check_model(name).kind != "rule" and measure == "pipeline":
            raise ValueError(f"{name} learns from closed deals and has no pipeline figure; pick wins or revenue.")
    results = _rollups(con, models, _check_by(by), f, half_life_days, order, w)
    return side_by_side(results, MEASURE_COLUMNS[measure])


def side_by_side(results: dict[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """{model: roll-up} -> one row per key, a column per model, rank_<model> and rank_spread."""
    wide = pd.DataFrame({name: df.set_index("key")[column] for name, df in results.items()}).fillna(0.0)
    wide.index.name = "key"
    wide = wide.reset_index()
    return ranked(wide, list(results), wide["key"] != NO_TOUCHPOINT)


def ranked(wide: pd.DataFrame, models: Sequence[str], rankable: pd.Series, ascending: bool = False) -> pd.DataFrame:
    """`wide` (key and a column per model) with rank_<model> among the `rankable` rows (1 = the
    most, or the least when `ascending`) and rank_spread (max - min rank), sorted by mean rank
    then key, the unranked rows last. The model comparison and the spend comparison share it."""
    for name in models:
        wide[f"rank_{name}"] = pd.Series(pd.NA, index=wide.index, dtype="Int64")
        wide.loc[rankable, f"rank_{name}"] = (
            wide.loc[rankable, name].rank(ascending=ascending, method="min").astype("Int64")
        )
    ranks = wide[[f"rank_{n}" for n in models]]
    wide["rank_spread"] = (ranks.max(axis=1) - ranks.min(axis=1)).astype("Int64")
    wide["_mean_rank"] = ranks.astype(float).mean(axis=1)
    wide = wide.sort_values(["_mean_rank", "key"], kind="stable", na_position="last")
    return wide.drop(columns="_mean_rank").reset_index(drop=True)


__all__ = [
    "RULE_MODELS",
    "catalogue_params",
    "compare_models",
    "default_models",
    "markov_transitions",
    "model_catalogue",
    "ranked",
    "receipt",
    "rollup",
    "rollups",
    "side_by_side",
    "touch_credit",
    "wide_credit",
]
