"""Check that the materialized prototype gives the engine's figures, on a benchmark database.

    python bench/prototypes/check.py bench/data/proto_10k.duckdb

Compares: every rule-based model's wins / revenue / pipeline per channel, Markov removal
effects (orders 1 and 3), Shapley values (by channel and by touchpoint type), and the
touched won / lost counts of the lift (touchpoint type, channel, campaign). Exits 1 on a
difference above 1e-9 (relative).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import materialized as mat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from closedloop import db  # noqa: E402
from closedloop.attribution import markov, shapley  # noqa: E402
from closedloop.attribution.models import PLACEHOLDER_WEIGHTS  # noqa: E402

F = {"date_from": None, "date_to": None, "segment": None, "region": None, "owner": None,
     "lookback_days": 180, "scope": "account"}


def _close(a: pd.Series, b: pd.Series) -> float:
    a, b = a.astype(float).to_numpy(), b.astype(float).to_numpy()
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0))) if len(a) else 0.0


def main(path: str) -> int:
    con = db.connect(path)
    worst = {}
    for half_life in (7.0, 3.0):
        eng = db.run(con, "attribution_rollup", by="channel", half_life_days=half_life, **F,
                     **PLACEHOLDER_WEIGHTS.sql_params())
        proto = mat.rule_rollup(con, half_life_days=half_life, custom=PLACEHOLDER_WEIGHTS.slots())
        m = eng.merge(proto, on=["model", "key"], how="outer", suffixes=("_e", "_p"))
        assert not m.isna().any().any(), "rows differ"
        worst[f"rules, half-life {half_life:g}"] = max(
            _close(m[c + "_e"], m[c + "_p"])
            for c in ("attributed_wins", "attributed_revenue_usd", "attributed_pipeline_usd")
        )
    for order in (1, 2, 3, 4):
        e = markov.removal_effects(db.run(con, "attribution_markov_transitions", by="channel", order=order, **F))
        p = mat.removal_effects(mat.markov_transitions(con, order))
        mm = e.merge(p, on="channel", suffixes=("_e", "_p"))
        assert len(mm) == len(e) == len(p)
        worst[f"markov{order}"] = _close(mm["removal_effect_e"], mm["removal_effect_p"])
    e = markov.removal_effects(db.run(con, "attribution_markov_transitions", by="touchpoint_type", order=2, **F))
    p = mat.removal_effects(mat.markov_transitions(con, 2, by="touchpoint_type"))
    mm = e.merge(p, on="channel", suffixes=("_e", "_p"))
    assert len(mm) == len(e) == len(p)
    worst["markov2 by touchpoint_type"] = _close(mm["removal_effect_e"], mm["removal_effect_p"])
    for by in ("channel", "touchpoint_type", "team"):
        e = shapley.shapley_values(db.run(con, "attribution_shapley_coalitions", by=by, **F))
        p = mat.shapley_values(mat.shapley_coalitions(con, by))
        mm = e.merge(p, on="channel", suffixes=("_e", "_p"))
        assert len(mm) == len(e) == len(p)
        worst[f"shapley by {by}"] = _close(mm["shapley_value_e"], mm["shapley_value_p"])
    for dim, col in (("touchpoint_type", "touchpoint_type"), ("channel", "channel"), ("campaign", "campaign_id"),
                     ("asset", "asset")):
        e = db.run(con, "touchpoint_lift", date_from="2000-01-01", date_to="2100-12-31", dimension=dim,
                   segment=None, region=None, owner=None, lookback_days=180, scope="account")
        p = mat.lift_counts(con, col)
        mm = e.merge(p, on="key", suffixes=("_e", "_p"))
        assert len(mm) == len(e) == len(p)
        worst[f"lift by {dim}"] = max(_close(mm[c + "_e"], mm[c + "_p"])
                                      for c in ("deals_touched_won", "deals_touched_lost"))
    for k, v in worst.items():
        print(f"{k:28} max relative difference {v:.2e}")
    return 0 if max(worst.values()) < 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
