"""The Attribution page on the fixture: W-shaped credit worked out by hand (tests/fixture.py).

Q1 2026 wins under W-shaped (30% FT, 30% LC, 30% OC, 10% over the others):
D01 FT T01, LC T02, OC T03 (marketing), T04 + T05 sales 5% each -> marketing 0.9, sales 0.1;
D02 T08 FT, T09 LC+OC, no others (the 10% goes to the positions) -> marketing 1;
D04 sales only -> sales 1; D08 marketing only -> marketing 1;
D07 FT T01, LC T02 (marketing), OC T04 (sales), T03/T05/T06/T07 2.5% each -> marketing 0.65, sales 0.35.
Marketing 3.55 wins, sales 1.45.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_with
from streamlit.testing.v1 import AppTest

from closedloop.engine import attribution as attr

ROOT = Path(__file__).resolve().parent.parent
MODELS = list(attr.model_catalogue()["model"])


@pytest.fixture
def at(fixture_db, monkeypatch) -> AppTest:
    monkeypatch.setenv("CLOSEDLOOP_DB", str(fixture_db))
    return AppTest.from_file(str(ROOT / "views" / "attribution.py"), default_timeout=60)


def team_split(at: AppTest) -> dict[str, float]:
    df = at.dataframe[0].value
    return dict(zip(df["team"], df.iloc[:, 1].round(6), strict=True))


def test_w_shaped_by_team_and_channel(at):
    run_with(at)
    assert "30% FT, 30% LC, 30% OC" in at.markdown[0].value
    assert team_split(at) == {"marketing": 3.55, "sales": 1.45, "No touchpoint": 0.0}
    rollup = at.dataframe[1].value.set_index("key")
    assert rollup["attributed_wins"].sum() == pytest.approx(5)
    assert rollup["attributed_revenue_usd"].sum() == pytest.approx(402_000)
    # pipeline: amounts of the 9 deals created in Q1 2026, D06 (8,000) has no touchpoint
    assert rollup["attributed_pipeline_usd"].sum() == pytest.approx(420_000)
    assert rollup.loc["No touchpoint", "attributed_pipeline_usd"] == pytest.approx(8_000)
    assert at.query_params["model"] == "w_shaped"


def test_switching_model_changes_the_credit_and_the_url(at):
    at.run()
    at.selectbox(key="a_model").select_index(MODELS.index("first_touch")).run()
    assert not at.exception
    # first touches of the Q1 wins: D01 T01, D02 T08, D04 T16 (sales), D07 T01, D08 T23
    assert team_split(at) == {"marketing": 4.0, "sales": 1.0, "No touchpoint": 0.0}
    assert at.query_params["model"] == "first_touch"


def test_markov_has_no_pipeline_and_says_so(at):
    run_with(at, model="markov", measure="pipeline")
    assert "learns from closed deals" in at.warning[0].value


def test_comparison_lists_every_model(at):
    at.run()
    comparison = at.dataframe[2].value
    for model in MODELS:
        if model != "custom" or model in comparison:
            assert model in comparison.columns or model == "custom"
    assert "rank_spread" in comparison.columns


def test_empty_period(at):
    run_with(at, quarter="2024Q1")
    assert "Nothing to credit" in at.info[0].value
