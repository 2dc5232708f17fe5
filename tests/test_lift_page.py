"""The Touchpoint lift page and its adapter (closedloop/pages/lift.py) on the fixture.

Deals closed in Q1 2026: 5 won (D01, D02, D04, D07, D08), 3 lost (D03, D05, D06).
ebook_download touched D01, D07, D08 (3 won, 0 lost); not touched: 2 won, 3 lost
-> 100% vs 40%, +60 pp. sales_email touched D03, D05 (0 won, 2 lost); not touched:
5 won, 1 lost -> 0% vs 83.3%, -83.3 pp. Every key has fewer than 10 closed deals on a
side, so every row is flagged as a small sample.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import opened, run_page
from streamlit.testing.v1 import AppTest

from closedloop.filters import Filters
from closedloop.pages import lift as lift_view

ROOT = Path(__file__).resolve().parent.parent
Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def test_lift_view_on_the_fixture(fixture_con):
    v = lift_view.lift_view(fixture_con, Q1)
    assert (v.deals_won, v.deals_lost, v.closed_deals) == (5, 3, 8)
    t = v.table.set_index("key")
    assert t.loc[
        "ebook_download", ["deals_touched_won", "deals_touched_lost", "deals_not_touched_won", "deals_not_touched_lost"]
    ].tolist() == [3, 0, 2, 3]
    assert t.loc["ebook_download", "win_rate_diff_pp"] == pytest.approx(60.0)
    assert t.loc["sales_email", "win_rate_diff_pp"] == pytest.approx(-250 / 3)
    assert t["small_sample"].all()
    assert (t["low95_pp"] <= t["win_rate_diff_pp"]).all() and (t["win_rate_diff_pp"] <= t["high95_pp"]).all()
    assert len(v.charted) == 11


def test_lift_view_no_touches_vs_no_deals(fixture_con):
    # SMB in EMEA: only D06 closed in Q1, and it has no touch in its window
    v = lift_view.lift_view(fixture_con, Q1.with_(segment="SMB", region="EMEA"))
    assert v.closed_deals == 1 and v.empty  # D06 has no touch in its window
    none = lift_view.lift_view(fixture_con, Filters(date(2024, 1, 1), date(2024, 3, 31)))
    assert none.closed_deals == 0 and none.empty
    with pytest.raises(ValueError, match="dimension"):
        lift_view.lift_view(fixture_con, Q1, "persona")


def page(**query: str) -> AppTest:
    return run_page("views/lift.py", **query)


def test_lift_page_touchpoint_types(app_db):
    at = opened(page(), "Touchpoint lift")
    assert {m.label: m.value for m in at.metric} == {"Closed deals": "8", "Won": "5", "Lost": "3", "Win rate": "62.5%"}
    assert at.query_params["by"] == "touchpoint_type" and at.query_params["quarter"] == "2026Q1"
    table = at.dataframe[0].value.set_index("key")
    assert table.loc["ebook_download", "win_rate_diff_pp"] == pytest.approx(60.0)
    assert table.loc["sales_email", ["deals_touched_won", "deals_touched_lost"]].tolist() == [0, 2]
    assert table["small_sample"].all()  # flagged, not hidden: all 11 types are listed
    assert len(table) == 11


def test_lift_page_dimension_from_the_url_and_back(app_db):
    at = page(quarter="2026Q1", by="campaign")
    table = at.dataframe[0].value.set_index("label")
    # C2 touched D01, D07, D08 (all won): 100% vs 2 of 5 not touched
    assert table.loc["ROI Guide eBook", "win_rate_diff_pp"] == pytest.approx(60.0)
    assert table.loc["LinkedIn Ads", ["deals_touched_won", "deals_touched_lost"]].tolist() == [1, 1]
    at.segmented_control(key="l_dimension").set_value("channel").run()
    assert at.query_params["by"] == "channel"
    channels = at.dataframe[0].value.set_index("key")
    # sales touched D01, D03, D04, D05, D07 (3 won, 2 lost) vs D02, D06, D08 (2 won, 1 lost)
    assert channels.loc["sales", "win_rate_diff_pp"] == pytest.approx(60 - 200 / 3)


def test_lift_page_empty_states(app_db):
    at = page(**{"from": "2024-01-01", "to": "2024-03-31"})
    assert not at.exception and "No deals closed" in at.info[0].value
    at = page(quarter="2026Q1", segment="SMB", region="EMEA")
    assert not at.exception and "No deal closed in this period (1 closed)" in at.info[0].value
