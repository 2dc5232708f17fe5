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
    w = weights if model == "custom" else None
    model_weights = attr.models.as_weights(w)
    # one pass of each query: every compared model's roll-up by `by` (the chosen model is one of
    # them: all rule-based models in one SQL pass), then the team split's roll-up by team
    models = attr.default_models(model_weights, measure)
    compared = attr.rollups(
        con,
        models if model in models else [*models, model],  # custom without weights: rollups says why not
        by=by,
        f=f,
        half_life_days=half_life_days,
        order=order,
        weights=model_weights,
    )
    rollup = compared[model]
    comparison = attr.side_by_side({name: compared[name] for name in models}, column)
    # the data-driven models credit channels; the team split uses the position-based W-shaped model
    team_model = model if m.kind == "rule" else "w_shaped"
    teams = attr.rollup(
        con,
        team_model,
        by="team",
        f=f,
        half_life_days=half_life_days,
        weights=model_weights if m.kind == "rule" else None,
    )
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
        weights=attr.describe(model, half_life_days=half_life_days, order=order, weights=model_weights),
        by=by,
        measure=measure,
        column=column,
        rollup=rollup,
        comparison=comparison,
        team_split=team_split,
        note=note,
    )
