"""Credit per touch under the rule-based models: one deal's receipt, every deal's touches for
exports, and the catalogue's parameters the rule-based queries take (queries/attribution_*.sql
on the macros of queries/macros.sql). Roll-ups per key are in api.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from closedloop import db
from closedloop.engine.attribution.models import (
    DEFAULT_HALF_LIFE_DAYS,
    MODELS,
    PLACEHOLDER_WEIGHTS,
    RULE_MODELS,
    CustomWeights,
    WeightsArg,
    as_weights,
)
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, Filters


def rule_params(half_life_days: float, weights: CustomWeights | None) -> dict[str, Any]:
    """The rule-based queries' model parameters: the half-life and every position-based model of
    the catalogue with its weights (custom: `weights`, or the placeholder whose column is dropped)."""
    return {"half_life_days": check_half_life(half_life_days), **catalogue_params(weights)}


def check_half_life(half_life_days: Any) -> float:
    """The time-decay half-life as the queries' $half_life_days, or a ValueError saying why not."""
    if not isinstance(half_life_days, int | float) or not np.isfinite(half_life_days) or half_life_days <= 0:
        raise ValueError(f"The half-life must be a number of days above 0, got {half_life_days!r}.")
    return float(half_life_days)


def catalogue_params(weights: CustomWeights | None = None, names: Sequence[str] | None = None) -> dict[str, Any]:
    """$model_names, $model_weights and the multipliers of queries/attribution_rollup.sql (and the
    receipt and touch-credit queries): each position-based model of the catalogue (built-in,
    then the team's), then custom; or only `names`."""
    custom = weights or PLACEHOLDER_WEIGHTS
    if names is None:
        names = [m.name for m in MODELS.values() if m.slots is not None] + ["custom"]
    # every name here is position-based: its slots are set
    slots = {n: (custom.slots() if n == "custom" else MODELS[n].slots) or () for n in names}
    multipliers = {n: (custom.multipliers if n == "custom" else MODELS[n].multipliers) for n in names}
    pairs = [(n, t, float(v)) for n in names for t, v in sorted(multipliers[n].items())]
    return {
        "model_names": list(names),
        "model_weights": [[float(w) for w in slots[n]] for n in names],
        "multiplier_models": [p[0] for p in pairs],
        "multiplier_types": [p[1] for p in pairs],
        "multiplier_values": [p[2] for p in pairs],
    }


def wide_credit(long: pd.DataFrame) -> pd.DataFrame:
    """The receipt or touch-credit query's rows (one per touch and model, sorted by touch then
    model) as one row per touch with a column per model, in the catalogue's order."""
    models = sorted(long["model"].unique())
    rows = long[long["model"] == models[0]].drop(columns=["model", "credit"]).reset_index(drop=True)
    ordered = [m for m in RULE_MODELS if m in models] + [m for m in models if m not in RULE_MODELS]
    credit = {m: long.loc[long["model"] == m, "credit"].to_numpy() for m in ordered}
    return rows.assign(**credit)


def _touches(
    con: duckdb.DuckDBPyConnection,
    query: str,
    lookback_days: int,
    half_life_days: float,
    scope: str,
    weights: WeightsArg,
    **params: Any,
) -> pd.DataFrame:
    """A per-touch credit query's rows, one per touch with a column per rule-based model (custom
    only with weights); empty when the query returns nothing."""
    f = Filters.of(lookback_days=lookback_days, scope=scope)
    w = as_weights(weights)
    df = db.run(con, query, lookback_days=f.lookback_days, scope=f.scope, **params, **rule_params(half_life_days, w))
    if df.empty:
        return df
    df = wide_credit(df)
    return df if w is not None else df.drop(columns="custom")


def receipt(
    con: duckdb.DuckDBPyConnection,
    deal_id: str,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    scope: str = "account",
    weights: WeightsArg = None,
) -> pd.DataFrame:
    """One deal's credit receipt: each touch in journey order, its positions (e.g. 'FT+LC'),
    days before close, and its credit under every rule-based model (each column sums to 1).

    A deal without touches has one "No touchpoint" row. Markov and Shapley credit
    channels across all deals, not single touches, so they are not on the receipt.
    """
    df = _touches(con, "attribution_receipt", lookback_days, half_life_days, scope, weights, deal_id=deal_id)
    if df.empty:
        raise ValueError(f"No deal {deal_id!r} in this database.")
    return df


def touch_credit(
    con: duckdb.DuckDBPyConnection,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    scope: str = "account",
    weights: WeightsArg = None,
) -> pd.DataFrame:
    """Every deal's touches with their credit under every rule-based model (one row per deal and
    touch; a deal without touches has one row with no touchpoint_id). Meant for exports and checks:
    on large databases prefer `rollup`, which aggregates in SQL."""
    return _touches(con, "attribution_touch_credit", lookback_days, half_life_days, scope, weights)
