"""Journeys on the hand-built fixture (tests/fixture.py): channel paths, their length, the transitions."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from closedloop import db
from closedloop.filters import Filters
from closedloop.pages import journeys
from closedloop.pages.path_reports import BAND_EDGES

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
WHOLE = {"path_steps": 0, "path_end": "first", **BAND_EDGES}

Q1_PATHS = {
    "D01": "paid_search > content > webinar > sales",  # T04, T05 collapse into one sales step
    "D02": "paid_social > event",  # T10 comes after the close
    "D03": "email > sales",
    "D04": "sales",  # T14, T15 before the lookback
    "D05": "paid_social > sales",
    "D06": "(no touchpoint)",
    "D07": "paid_search > content > webinar > sales > email > sales",
    "D08": "webinar > content",
}


def test_journey_paths(fixture_con):
    df = db.run(fixture_con, "journey_paths", **WHOLE, **Q1.params()).set_index("deal_id")
    assert df["path"].to_dict() == Q1_PATHS
    assert df["full_path"].to_dict() == Q1_PATHS
    assert df["steps"].to_dict() == {"D01": 4, "D02": 2, "D03": 2, "D04": 1, "D05": 2, "D06": 0, "D07": 6, "D08": 2}
    assert df["touches"].to_dict() == {"D01": 5, "D02": 2, "D03": 3, "D04": 2, "D05": 3, "D06": 0, "D07": 7, "D08": 2}


def test_journey_paths_band_each_deal_as_the_path_reports_do(fixture_con):
    # path_band(): days edges 8, 15, 31, 61, 91, 181, 366 and touch edges 2, 3, 4, 5, 6, 11, 21
    df = db.run(fixture_con, "journey_paths", **WHOLE, **Q1.params()).set_index("deal_id")
    # D01: 101 days (edges 8..91 at or below: band 5); D02: 167 days (band 5), 2 touches (band 1)
    assert df.loc["D01", "days_band"] == 5
    assert (df.loc["D02", "days_band"], df.loc["D02", "touches_band"]) == (5, 1)
    assert df.loc["D06", ["days_band", "touches_band"]].tolist() == [-1, -1]  # no touch
    edges = {"day_edges": [100, 150], "touch_edges": [3]}
    narrow = db.run(fixture_con, "journey_paths", **{**WHOLE, **edges}, **Q1.params()).set_index("deal_id")
    # 101 days: at or above 100 only (band 1); 167: both (band 2); 2 touches: below 3 (band 0)
    assert (narrow.loc["D01", "days_band"], narrow.loc["D02", "days_band"]) == (1, 2)
    assert narrow.loc["D02", "touches_band"] == 0


def test_journey_paths_keep_the_first_or_last_steps(fixture_con):
    first3 = db.run(fixture_con, "journey_paths", path_steps=3, path_end="first", **BAND_EDGES, **Q1.params())
    first3 = first3.set_index("deal_id")
    # D01 (4 steps) and D07 (6 steps) open the same way; shorter paths stay whole
    assert first3.loc["D01", "path"] == first3.loc["D07", "path"] == "paid_search > content > webinar > …"
    assert first3.loc["D03", "path"] == "email > sales" and first3.loc["D06", "path"] == "(no touchpoint)"
    assert first3.loc["D07", "full_path"] == Q1_PATHS["D07"] and first3.loc["D07", "steps"] == 6
    last2 = db.run(fixture_con, "journey_paths", path_steps=2, path_end="last", **BAND_EDGES, **Q1.params())
    last2 = last2.set_index("deal_id")["path"]
    assert (last2["D07"], last2["D01"], last2["D05"]) == (
        "… > email > sales",
        "… > webinar > sales",
        "paid_social > sales",
    )
    paths = journeys.journeys(fixture_con, Q1, path_steps=3).paths.set_index("path")
    assert paths.index[0] == "paid_search > content > webinar > …"
    top = paths.iloc[0]
    assert top[["deals", "won_deals", "win_rate", "won_revenue_usd"]].tolist() == [2, 2, 1.0, 150_000]
    assert len(paths) == 7
    with pytest.raises(ValueError, match="path_end"):
        journeys.journeys(fixture_con, Q1, path_end="middle")


def test_journey_paths_follow_the_filters(fixture_con):
    bob = db.run(fixture_con, "journey_paths", **WHOLE, **Q1.with_(owner="Bob").params())
    assert dict(zip(bob["deal_id"], bob["path"], strict=True)) == {
        "D05": "paid_social > sales",
        "D08": "webinar > content",
        "D02": "paid_social > event",
    }
    # contact roles: T01 (no contact) drops out of D01 and D07
    contacts = db.run(fixture_con, "journey_paths", **WHOLE, **Q1.with_(scope="contact_roles").params())
    contacts = contacts.set_index("deal_id")
    assert contacts.loc["D01", "path"] == "content > webinar > sales"
    assert contacts.loc["D05", "path"] == "sales"  # T19 has no contact


def test_path_summary_counts_wins_losses_and_win_rate(fixture_con):
    # Q4 2025 + Q1 2026 adds D12 (won, T22 sales_call) and D09 (lost, T08 paid_social)
    f = Q1.with_(date_from=date(2025, 10, 1))
    paths = journeys.journeys(fixture_con, f).paths.set_index("path")
    assert paths.index[0] == "sales"  # the only path with two deals comes first
    cols = ["deals", "won_deals", "lost_deals", "win_rate", "won_revenue_usd"]
    assert paths.loc["sales", cols].tolist() == [2, 2, 0, 1.0, 209_000]  # D04 200,000 + D12 9,000
    assert paths.loc["paid_social", cols].tolist() == [1, 0, 1, 0.0, 0]
    assert paths["deals"].sum() == 10


def test_path_summary_by_hand():
    deals = pd.DataFrame(
        {
            "deal_id": ["a", "b", "c", "d"],
            "outcome": ["won", "won", "lost", "lost"],
            "amount_usd": [10.0, None, 5.0, 7.0],
            "path": ["x > y", "x > y", "x > y", "(no touchpoint)"],
            "steps": [2, 2, 2, 0],
        }
    )
    p = journeys.path_summary(deals)
    assert p["path"].tolist() == ["x > y", "(no touchpoint)"]
    assert p.iloc[0][["deals", "won_deals", "lost_deals", "won_revenue_usd"]].tolist() == [3, 2, 1, 10.0]
    assert p.iloc[0]["win_rate"] == pytest.approx(2 / 3)
    # ties: more won first, then by path; a column the same on every deal of a path carried along
    ties = deals.assign(path=["b", "a", "c", "b"], outcome=["lost", "won", "lost", "lost"], steps=[1, 2, 3, 1])
    p = journeys.path_summary(ties, carry=("steps",))
    assert p[["path", "deals", "won_deals", "steps"]].values.tolist() == [
        ["b", 2, 0, 1],
        ["a", 1, 1, 2],
        ["c", 1, 0, 3],
    ]
    assert journeys.path_summary(deals.head(0)).empty


@pytest.mark.parametrize(
    "f",
    [
        Q1,
        Q1.with_(owner="Bob", scope="contact_roles", lookback_days=90),
        Q1.with_(date_from=date(2025, 10, 1)),
        Filters(date(2024, 1, 1), date(2024, 3, 31)),  # no deal
    ],
)
def test_collapsed_paths_are_the_path_report_of_collapsed_repeats(fixture_con, f):
    """The page counts "repeats in a row collapsed" from its deals' whole paths instead of running
    queries/path_summary.sql again: the report's own rows."""
    from closedloop.engine import path_reports

    deals = db.run(fixture_con, "journey_paths", path_steps=3, path_end="first", **BAND_EDGES, **f.params())
    expected = path_reports.path_summary(fixture_con, f=f, transform="collapse_repeats")
    pd.testing.assert_frame_equal(journeys.collapsed_paths(deals), expected)


def test_collapsed_paths_by_hand(fixture_con):
    # D04 sales > sales reads 'sales'; D03 email > sales > sales 'email > sales'; 8 deals, 8 paths
    c = journeys.journeys(fixture_con, Q1, order=None, path_steps=2).collapsed_paths.set_index("path")
    assert c.loc["sales", ["total_conversions", "total_null", "steps", "total_conversion_value"]].tolist() == [
        1,
        0,
        1,
        200_000,
    ]
    assert c.loc["email > sales", ["total_conversions", "total_null", "win_rate"]].tolist() == [0, 1, 0.0]
    assert c.loc[Q1_PATHS["D07"], ["steps", "total_conversion_value"]].tolist() == [6, 50_000]
    assert len(c) == 8 and c["total_conversions"].sum() == 5 and c["total_null"].sum() == 3


def test_journey_stats(fixture_con):
    stats = journeys.journeys(fixture_con, Q1).stats
    assert stats["deal_id"].tolist() == ["D01", "D02", "D04", "D07", "D08", "D03", "D05", "D06"]  # won first
    df = stats.set_index("deal_id")
    # calendar days from the first touch to the close, e.g. D01: 2025-11-01 -> 2026-02-10 = 101
    days = df["days_first_touch_to_close"].to_dict()
    assert {k: v for k, v in days.items() if not pd.isna(v)} == {
        "D01": 101,
        "D02": 167,
        "D03": 49,
        "D04": 59,
        "D05": 69,
        "D07": 149,
        "D08": 18,
    }
    assert pd.isna(days["D06"])
    assert df.loc["D07", ["touches", "marketing_touches", "sales_touches"]].tolist() == [7, 4, 3]
    assert df.loc["D06", "touches"] == 0


def test_journey_summary_won_vs_lost(fixture_con):
    s = journeys.journeys(fixture_con, Q1).summary.set_index("outcome")
    # won touches 5, 2, 2, 7, 2; lost 3, 3, 0
    assert s.loc["won", ["deals", "median_touches", "mean_touches"]].tolist() == [5, 2, pytest.approx(3.6)]
    assert s.loc["lost", ["deals", "deals_without_touch", "median_touches", "mean_touches"]].tolist() == [3, 1, 3, 2]
    # won days 101, 167, 59, 149, 18; lost 49, 69 (D06 has none)
    assert s.loc["won", "median_days_first_touch_to_close"] == 101
    assert s.loc["won", "mean_days_first_touch_to_close"] == pytest.approx(98.8)
    assert s.loc["lost", "median_days_first_touch_to_close"] == 59


def test_transition_matrix_is_the_markov_chain(fixture_con):
    t = journeys.journeys(fixture_con, Q1).transitions
    p = t.set_index(["from_state", "to_state"])["probability"]
    n = t.set_index(["from_state", "to_state"])["transitions"]
    # 7 journeys start (D06 has no touch): paid_search 2, paid_social 2, email, sales, webinar 1 each
    assert t[t["from_state"] == "(start)"]["transitions"].sum() == 7
    assert p[("(start)", "paid_search")] == pytest.approx(2 / 7)
    # out of sales 11 moves: sales 5 (repeats kept), won 3 (D01, D04, D07), lost 2 (D03, D05), email 1
    assert [n[("sales", s)] for s in ("sales", "(won)", "(lost)", "email")] == [5, 3, 2, 1]
    assert p[("sales", "(won)")] == pytest.approx(3 / 11)
    assert p[("content", "(won)")] == pytest.approx(1 / 3)  # D08 ends in content
    assert t.groupby("from_state")["probability"].sum().tolist() == pytest.approx([1.0] * 8)
    assert t["from_state"].iloc[0] == "(start)"
    assert set(t["to_state"]) >= {"(won)", "(lost)"} and "(conversion)" not in set(t["to_state"])


def test_transition_matrix_of_higher_order(fixture_con):
    t = journeys.transition_matrix(fixture_con, Q1, order=2)
    pairs = set(zip(t["from_state"], t["to_state"], strict=True))
    assert ("paid_search > content", "content > webinar") in pairs


def test_empty_period(fixture_con):
    j = journeys.journeys(fixture_con, Filters(date(2024, 1, 1), date(2024, 3, 31)))
    assert j.empty and j.paths.empty and j.transitions.empty
    assert j.summary["deals"].tolist() == [0, 0]


def test_distribution_boxes_use_every_deal_and_dots_are_bounded():
    stats = pd.DataFrame(
        {
            "deal_id": [f"D{i}" for i in range(30)],
            "deal_name": [f"Deal {i}" for i in range(30)],
            "outcome": ["won"] * 20 + ["lost"] * 10,
            "touches": list(range(20)) + [5] * 10,
        }
    )
    d = journeys.distribution(stats, "touches", max_dots=8)
    boxes = d.boxes.set_index("outcome")
    assert boxes.loc["Won", ["deals", "lower", "median", "upper"]].tolist() == [20, 0, 9.5, 19]
    assert boxes.loc["Won", ["q1", "q3"]].tolist() == [4.75, 14.25]  # linear, like Vega's quartiles
    assert boxes.loc["Lost", ["deals", "lower", "upper"]].tolist() == [10, 5, 5]
    assert d.dots["outcome"].value_counts().to_dict() == {"Won": 8, "Lost": 8} and d.sampled
    assert d.dots.equals(journeys.distribution(stats, "touches", max_dots=8).dots)  # seeded
    small = journeys.distribution(stats, "touches")
    assert len(small.dots) == 30 and not small.sampled
