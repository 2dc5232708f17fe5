"""AppTests of the Handoff & SLA page on the fixture (figures worked out in tests/test_handoff.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import metrics
from helpers import run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def page(**query: str) -> AppTest:
    return run_page("views/handoff.py", **query)


def test_handoff_page_all_leads(app_db):
    at = page(**{"from": "2025-01-01", "to": "2026-03-31"})
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Handoff & SLA"
    assert metrics(at) == {
        "Leads assigned": "9",
        "Follow-up rate": "67%",  # 6 of 9
        "Followed up within 24 h": "44%",  # L01, L04, L06, L07
        "Median speed to lead": "5.0 h",  # 1, 2, 4, 6, 48, 72
        "Never followed up": "3",  # L03, L08, L09
        "Cost of leads never followed up": "$17,000",  # 1,000 + 12,000 + 8,000 / 2
        "MQL → opportunity": "67%",  # 6 of 9
        "MQL → won": "44%",  # 4 of 9
    }
    never = at.dataframe[0].value
    assert never["lead_id"].tolist() == ["L08", "L09", "L03"]
    assert never["cost_per_lead_usd"].tolist() == [12_000, 4_000, 1_000]
    assert at.query_params["sla"] == "24"


def test_handoff_page_default_quarter(app_db):
    at = page()
    assert at.query_params["quarter"] == "2026Q1"
    m = metrics(at)
    # leads created in Q1 2026: L02, L03, L05, L07, L08, L09
    assert (m["Leads assigned"], m["Follow-up rate"], m["Followed up within 24 h"]) == ("6", "50%", "17%")
    assert m["Median speed to lead"] == "48.0 h"
    funnel_by_owner = at.dataframe[2].value.set_index("group_key")
    assert funnel_by_owner.loc["Bob", ["mqls", "accepted", "opportunities", "won"]].tolist() == [3, 2, 2, 1]


def test_handoff_page_sla_from_the_url(app_db):
    at = page(**{"from": "2025-01-01", "to": "2026-03-31", "sla": "48"})
    assert at.number_input(key="h_sla").value == 48
    assert metrics(at)["Followed up within 48 h"] == "56%"  # + L05 at exactly 48 h: 5 of 9
    at.number_input(key="h_sla").set_value(72).run()
    assert at.query_params["sla"] == "72"
    assert metrics(at)["Followed up within 72 h"] == "67%"  # + L02


def test_handoff_page_owner_is_the_lead_owner(app_db):
    at = page(**{"from": "2025-01-01", "to": "2026-03-31", "owner": "Carol"})
    m = metrics(at)
    assert (m["Leads assigned"], m["Never followed up"], m["Followed up within 24 h"]) == ("2", "0", "100%")
    assert "Every assigned lead of the period was followed up." in [i.value for i in at.info]


def test_handoff_page_empty_period(app_db):
    at = page(**{"from": "2024-01-01", "to": "2024-03-31"})
    assert not at.exception
    assert "No assigned leads" in at.info[0].value
    assert not at.metric
