"""What the Attribution page shows, in one call: the chosen model's roll-up, every model
side by side with ranks, and the marketing vs sales split."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from closedloop.engine import attribution as attr
from closedloop.filters import Filters


@dataclass(frozen=True)
class AttributionView:
    model: str
    label: str
    weights: str
    by: str
    measure: str
    column: str  # the measure's column in `rollup`
    rollup: pd.DataFrame  # key, attributed_wins, attributed_revenue_usd, attributed_pipeline_usd
    comparison: pd.DataFrame  # key, one column per model, rank_<model>, rank_spread
    team_split: pd.DataFrame  # team, the measure, share
    note: str | None = None

    @property
    def empty(self) -> bool:
        return self.rollup.empty or float(self.rollup[self.column].fillna(0).sum()) == 0.0


def custom_weights(ft: float, lc: float, oc: float, cl: float, middle: float) -> dict[str, Any]:
    """Position weights from the page's sliders, in the engine's weights-file shape."""
    return {"positions": {"FT": ft, "LC": lc, "OC": oc, "CL": cl, "middle": middle}}


def attribution_view(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    model: str = "w_shaped",
    by: str = "channel",
    measure: str = "wins",
    half_life_days: float = attr.DEFAULT_HALF_LIFE_DAYS,
    order: int = attr.DEFAULT_ORDER,
    weights: dict[str, Any] | None = None,
) -> AttributionView:
    m = attr.MODELS[model]
    note = None
    if m.kind != "rule" and measure == "pipeline":
        # Markov and Shapley learn from closed deals only: there is no open pipeline to share out
        note = f"{m.label} learns from closed deals, so it credits wins and revenue, not pipeline. Showing wins."
        measure = "wins"
    column = attr.MEASURE_COLUMNS[measure]
    common = dict(
        date_from=f.date_from,
        date_to=f.date_to,
        segment=f.segment,
        region=f.region,
        owner=f.owner,
        lookback_days=f.lookback_days,
        scope=f.scope,
    )
    w = weights if model == "custom" else None
    rollup = attr.rollup(con, model, by=by, half_life_days=half_life_days, order=order, weights=w, **common)
    comparison = attr.compare_models(
        con, by=by, measure=measure, half_life_days=half_life_days, order=order, weights=w, **common
    )
    if m.kind == "rule":
        teams = attr.rollup(con, model, by="team", half_life_days=half_life_days, weights=w, **common)
    else:
        # the data-driven models credit channels; the team split uses the position-based W-shaped model
        teams = attr.rollup(con, "w_shaped", by="team", half_life_days=half_life_days, **common)
    total = teams[column].fillna(0).sum()
    team_split = pd.DataFrame(
        {
            "team": teams["key"],
            column: teams[column],
            "share": teams[column] / total if total else 0.0,
        }
    )
    return AttributionView(
        model=model,
        label=m.label,
        weights=attr.describe(model, half_life_days=half_life_days, order=order, weights=attr.models.as_weights(w)),
        by=by,
        measure=measure,
        column=column,
        rollup=rollup,
        comparison=comparison,
        team_split=team_split,
        note=note,
    )
