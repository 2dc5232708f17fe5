"""The attribution engine: every model of DESIGN.md over a Closed Loop database or path data.

Dashboard pages call:

- `MODELS` / `model_catalogue()`: each model's name, label and exact weights;
- `rollup(con, model, by=..., ...)`: credit per channel / touchpoint_type / campaign /
  asset / team (attributed wins, won revenue, pipeline), "No touchpoint" last;
- `rollups(con, models=None, ...)`: {model: roll-up} for several models in one go;
- `compare_models(con, by=..., measure=...)`: every model side by side with ranks;
- `receipt(con, deal_id, ...)`: one deal's touches, positions and credit per model;
- `markov_transitions(con, ...)` + `markov.transition_probabilities`: the chain.

Path data (ChannelAttribution / DP6 format): `read_paths`, `attribute_paths`, `compare_paths`.
See docs/attribution.md.
"""

from closedloop.engine.attribution.api import (
    MEASURE_COLUMNS,
    ROLLUP_COLUMNS,
    compare_models,
    default_models,
    markov_transitions,
    model_catalogue,
    receipt,
    rollup,
    rollups,
    side_by_side,
    touch_credit,
)
from closedloop.engine.attribution.models import (
    BY_KEYS,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_ORDER,
    MAX_ORDER,
    MEASURES,
    MODELS,
    NO_TOUCHPOINT,
    PATH_MODELS,
    RULE_MODELS,
    CustomWeights,
    Model,
    describe,
    load_weights,
)
from closedloop.engine.attribution.paths import attribute_paths, compare_paths, parse_paths, read_paths
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, SCOPES

__all__ = [
    "BY_KEYS",
    "DEFAULT_HALF_LIFE_DAYS",
    "DEFAULT_LOOKBACK_DAYS",
    "DEFAULT_ORDER",
    "MAX_ORDER",
    "MEASURES",
    "MEASURE_COLUMNS",
    "MODELS",
    "NO_TOUCHPOINT",
    "PATH_MODELS",
    "ROLLUP_COLUMNS",
    "RULE_MODELS",
    "SCOPES",
    "CustomWeights",
    "Model",
    "attribute_paths",
    "compare_models",
    "compare_paths",
    "default_models",
    "describe",
    "load_weights",
    "markov_transitions",
    "model_catalogue",
    "parse_paths",
    "read_paths",
    "receipt",
    "rollup",
    "rollups",
    "side_by_side",
    "touch_credit",
]
