"""The benchmark's pandas baseline (bench/pandas_baseline.py) computes the same figures as the
engine: every rule-based model's wins, won revenue and pipeline per channel on the fixture.

Correctness only: the benchmark (bench/run.py) measures speed, no test here is timed.
"""

from __future__ import annotations

import pandas as pd
from helpers import filter_params
from pytest import approx

from bench import pandas_baseline
from closedloop import db
from closedloop.engine.attribution.api import catalogue_params


def _engine(con) -> pd.DataFrame:
    df = db.run(con, "attribution_rollup", by="channel", half_life_days=7.0, **filter_params(), **catalogue_params())
    return df[df["model"] != "custom"]


def test_pandas_baseline_matches_the_engine_on_the_fixture(fixture_con):
    engine = _engine(fixture_con).set_index(["model", "key"]).sort_index()
    baseline = pandas_baseline.rollup(fixture_con).set_index(["model", "key"]).sort_index()
    assert set(baseline.index.get_level_values("model")) == set(pandas_baseline.MODELS)
    assert list(baseline.index) == list(engine.index)
    for column in ("attributed_wins", "attributed_revenue_usd", "attributed_pipeline_usd"):
        assert baseline[column].to_numpy() == approx(engine[column].to_numpy(), abs=1e-9)


def test_pandas_baseline_keeps_deals_without_touches(fixture_con):
    baseline = pandas_baseline.rollup(fixture_con)
    first = baseline[baseline["model"] == "first_touch"]
    # D06 (lost, no touch in its window) is in the pipeline of the "No touchpoint" row
    assert pandas_baseline.NO_TOUCHPOINT in set(first["key"])
    won = fixture_con.execute("select count(*), sum(amount) from deals where outcome = 'won'").fetchone()
    assert first["attributed_wins"].sum() == approx(won[0])
    assert first["attributed_revenue_usd"].sum() == approx(won[1])
