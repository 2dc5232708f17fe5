"""AppTests of the Pipeline influence page on the fixture (figures worked out in tests/test_pipeline.py)."""

from __future__ import annotations

from pathlib import Path

from conftest import metrics
from helpers import opened, run_page
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def page(**query: str) -> AppTest:
    return run_page("views/pipeline_influence.py", **query)


def test_pipeline_page_first_touch_q1(app_db):
    at = opened(page(), "Pipeline influence")
    assert at.query_params["quarter"] == "2026Q1"
    assert at.query_params["definition"] == "first_touch" and at.query_params["grain"] == "month"
    assert metrics(at) == {
        "Pipeline created": "$420,000",
        "Marketing-sourced": "$262,000",
        "Marketing-influenced": "$0",
        "Sales-only": "$150,000",
        "No touchpoint": "$8,000",
    }
    table = at.dataframe[0].value.set_index("period")
    assert table["pipeline_usd"].to_dict() == {"2026-01": 158_000, "2026-02": 92_000, "2026-03": 170_000}
    by_campaign = at.dataframe[1].value.set_index("name")
    assert by_campaign.loc["Search - Brand", "cost_per_won_deal_usd"] == 6_000  # 12,000 / D01, D07
    assert any("First touch is marketing" in m.value for m in at.markdown)


def test_pipeline_page_window_definition_from_the_url(app_db):
    at = page(quarter="2026Q1", definition="window", days="30", grain="quarter")
    assert at.radio(key="p_definition").value == "window"
    assert at.number_input(key="p_days").value == 30
    m = metrics(at)
    assert (m["Marketing-sourced"], m["Marketing-influenced"]) == ("$230,000", "$32,000")
    assert at.dataframe[0].value["period"].tolist() == ["2026Q1"]
    at.number_input(key="p_days").set_value(90).run()
    assert at.query_params["days"] == "90"
    assert metrics(at)["Marketing-influenced"] == "$12,000"  # D08 only


def test_pipeline_page_lead_source(app_db):
    at = page()
    at.radio(key="p_definition").set_value("lead_source").run()
    assert at.query_params["definition"] == "lead_source"
    m = metrics(at)
    assert (m["Marketing-sourced"], m["Sales-only"]) == ("$400,000", "$0")


def test_pipeline_page_reconciles_over_two_quarters(app_db):
    at = page(**{"from": "2025-10-01", "to": "2026-03-31"})
    assert metrics(at)["Pipeline created"] == "$654,000"  # every deal of the fixture


def test_pipeline_page_empty_period(app_db):
    at = page(**{"from": "2024-01-01", "to": "2024-03-31"})
    assert not at.exception
    assert "No deals were created" in at.info[0].value
    assert not at.metric


def test_pipeline_page_counts_deals_from_the_url(app_db):
    at = page(measure="deals")
    assert not at.exception, [e.value for e in at.exception]
    # Q1 2026 under first touch: sourced D01 D02 D03 D05 D07 D08 D11; sales-only D10; no touchpoint D06
    assert metrics(at) == {
        "Deals created": "9",
        "Marketing-sourced": "7 deals",
        "Marketing-influenced": "0 deals",
        "Sales-only": "1 deal",
        "No touchpoint": "1 deal",
    }
    table = at.dataframe[0].value.set_index("period")
    assert table["deals"].to_dict() == {"2026-01": 4, "2026-02": 3, "2026-03": 2}  # D01 D02 D03 D06 | D05 D07 D08
    assert table.loc["2026-03", "sales_only_deals"] == 1  # D10
    assert not at.warning  # the fixture has amounts
    at.radio(key="p_measure").set_value("usd").run()
    assert at.query_params["measure"] == "usd" and metrics(at)["Pipeline created"] == "$420,000"


def test_pipeline_page_without_amounts_says_so_and_counts_deals(tmp_path, monkeypatch):
    import degenerate

    for variant in ("null_amounts", "zero_amounts"):
        monkeypatch.setenv("CLOSEDLOOP_DB", str(degenerate.build(tmp_path / f"{variant}.duckdb", variant)))
        at = page()
        assert not at.exception, [e.value for e in at.exception]
        assert "None of the 9 deals created in this period has an amount" in at.warning[0].value
        assert at.query_params["measure"] == "deals"
        assert metrics(at)["Deals created"] == "9" and metrics(at)["Marketing-sourced"] == "7 deals"
