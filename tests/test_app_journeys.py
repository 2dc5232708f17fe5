"""AppTests of the journeys page on the hand-built fixture (figures in tests/fixture.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from conftest import metrics
from helpers import run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGE = "views/journeys.py"


def open_page(**params: str) -> AppTest:
    return run_page(PAGE, **params)


def chart_titles(at: AppTest) -> list[str]:
    titles = []
    for el in at.get("vega_lite_chart"):
        title = json.loads(el.proto.spec).get("title")
        titles.append(title if isinstance(title, str) else title["text"])
    return titles


def chart_rows(at: AppTest, title_start: str) -> list[list[dict]]:
    for el in at.get("vega_lite_chart"):
        title = json.loads(el.proto.spec).get("title")
        if (title if isinstance(title, str) else title["text"]).startswith(title_start):
            return [pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in el.proto.datasets]
    raise AssertionError(f"no chart titled {title_start!r}")


def test_journeys_page_on_q1(app_db):
    at = open_page()
    assert not at.exception
    assert at.query_params["quarter"] == "2026Q1"
    assert metrics(at) == {
        "Closed deals": "8",
        "Distinct channel paths": "7",  # first 3 channels: D01 and D07 open alike
        "Median touches, won vs lost": "2 vs 3",  # won 5, 2, 2, 7, 2; lost 3, 3, 0
        "Median journey days, won vs lost": "101 vs 59",  # days from first touch to close
    }
    paths, summary, transitions, *_ = (df.value for df in at.dataframe)  # then the path reports'
    assert paths["path"].iloc[0] == "paid_search > content > webinar > …"  # D01 + D07, both won
    top = paths.iloc[0]
    assert top[["deals", "won_deals", "win_rate", "won_revenue_usd"]].tolist() == [2, 2, 1.0, 150_000]
    by_path = paths.set_index("path")
    assert by_path.loc["(no touchpoint)", ["deals", "lost_deals", "win_rate"]].tolist() == [1, 1, 0.0]
    assert len(paths) == 7
    assert summary.set_index("outcome").loc["won", "mean_touches"] == pytest.approx(3.6)
    t = transitions.set_index(["from_state", "to_state"])
    assert t.loc[("sales", "(won)"), "transitions"] == 3 and t.loc[("sales", "sales"), "transitions"] == 5
    assert chart_titles(at) == [
        "The 7 most common channel paths of closed deals (repeats collapsed)",
        "Touches per deal",
        "Days from first touch to close",
        "Markov transition matrix: where a journey goes next",
        "Time lag: days to close",
        "Path length: touches to close",
    ]


def test_whole_paths_from_the_url(app_db):
    at = open_page(path="whole")
    assert at.selectbox(key="j_path").value == "whole"
    paths = at.dataframe[0].value.set_index("path")
    assert len(paths) == 8
    assert paths.loc["paid_search > content > webinar > sales", ["deals", "won_deals"]].tolist() == [1, 1]
    assert "paid_search > content > webinar > sales > email > sales" in paths.index  # D07
    at.selectbox(key="j_path").select("last2").run()
    assert at.query_params["path"] == "last2"
    assert "… > email > sales" in set(at.dataframe[0].value["path"])


def test_top_n_and_filters_from_the_url(app_db):
    at = open_page(quarter="2026Q1", owner="Bob", top="3")
    assert not at.exception
    assert at.slider(key="j_top").value == 3
    assert at.query_params["top"] == "3" and at.query_params["owner"] == "Bob"
    # Bob's Q1 deals: D02 paid_social > event (won), D05 paid_social > sales (lost),
    # D08 webinar > content (won)
    assert sorted(at.dataframe[0].value["path"]) == ["paid_social > event", "paid_social > sales", "webinar > content"]
    bars = chart_rows(at, "The 3 most common channel paths")
    assert {r["path"] for rows in bars for r in rows} == {
        "paid_social > event",
        "paid_social > sales",
        "webinar > content",
    }


def test_markov_order_changes_the_matrix(app_db):
    at = open_page()
    at.radio(key="j_order").set_value(2).run()
    assert not at.exception
    assert at.query_params["order"] == "2"
    transitions = at.dataframe[2].value
    assert ("paid_search > content", "content > webinar") in set(
        zip(transitions["from_state"], transitions["to_state"], strict=True)
    )


def test_empty_period(app_db):
    at = open_page(**{"from": "2024-01-01", "to": "2024-03-31"})
    assert not at.exception
    assert "No deals closed" in at.info[0].value
    assert not at.metric and not at.get("vega_lite_chart")
