"""Pipeline influence on the hand-built fixture (tests/fixture.py).

Deals created in Q1 2026 (420,000 USD): D01 100k (Jan 5), D02 40k (Jan 10), D03 10k (Jan 15),
D06 8k (Jan 20), D05 30k (Feb 1), D07 50k (Feb 1), D08 12k (Feb 10), D10 150k (Mar 1),
D11 20k (Mar 10). Created in Q4 2025: D09 25k, D12 9k, D04 200k. All twelve: 654,000 USD.

Their first touch (180-day lookback): D01, D07 T01 (C1 ad click); D02 T08 (C5 ad view);
D03 T11 (C4 email); D05, D11 T19 (C5 ad view); D08 T23 (C3 webinar, 10 days after the deal
was created); D10 T16 (sales); D06 none (T22 is before its lookback).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from closedloop import db
from closedloop.filters import Filters
from closedloop.pages import pipeline_influence as pipeline

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def con(fixture_con):
    return fixture_con


SPLITS = ["marketing_sourced", "marketing_influenced", "sales_only", "no_touchpoint"]


def rows(
    con, f: Filters, definition: str, window_days: int = 90, grain: str = "quarter", dimension: str = "period"
) -> pd.DataFrame:
    """One kind of pipeline_influence's rows: 'period', 'campaign' or 'channel'."""
    df = db.run(con, "pipeline_influence", **f.params(), definition=definition, window_days=window_days, grain=grain)
    assert set(df["dimension"]) <= {"period", "campaign", "channel"}
    return df[df["dimension"] == dimension].reset_index(drop=True)


def by_split(con, f: Filters, definition: str, window_days: int = 90, grain: str = "quarter") -> dict:
    df = rows(con, f, definition, window_days, grain)
    return df.groupby("split")["pipeline_usd"].sum().reindex(SPLITS, fill_value=0).to_dict()


def test_pipeline_by_period_first_touch(con):
    assert by_split(con, Q1, "first_touch") == {
        "marketing_sourced": 262_000,  # D01, D02, D03, D05, D07, D08, D11
        "marketing_influenced": 0,  # no deal's first touch is sales with marketing after it
        "sales_only": 150_000,  # D10: T16, T17, T18 are sales
        "no_touchpoint": 8_000,  # D06
    }


def test_pipeline_by_period_window_n_days(con):
    assert by_split(con, Q1, "window", 90) == {
        "marketing_sourced": 250_000,
        "marketing_influenced": 12_000,  # D08: its marketing touches come after its creation
        "sales_only": 150_000,
        "no_touchpoint": 8_000,
    }
    # 30 days: D11's only marketing touch (T19, Jan 10) is 59 days before it was created
    assert by_split(con, Q1, "window", 30) == {
        "marketing_sourced": 230_000,
        "marketing_influenced": 32_000,
        "sales_only": 150_000,
        "no_touchpoint": 8_000,
    }


def test_pipeline_by_period_lead_source(con):
    assert by_split(con, Q1, "lead_source") == {
        "marketing_sourced": 400_000,  # D10 too: A4's lead L04 came from the website
        "marketing_influenced": 12_000,  # D08: A7's only lead (L07) came after the deal
        "sales_only": 0,
        "no_touchpoint": 8_000,  # D06: L06's source is sales and it has no touch
    }


def test_pipeline_by_period_months_reconcile_to_the_crm(con):
    df = rows(con, Filters(date(2025, 1, 1), date(2026, 12, 31)), "first_touch", grain="month")
    assert df["pipeline_usd"].sum() == 654_000 and df["deals"].sum() == 12
    jan = df[df["period_start"] == pd.Timestamp("2026-01-01")].set_index("split")
    assert jan["pipeline_usd"].to_dict() == {"marketing_sourced": 150_000, "no_touchpoint": 8_000}
    assert jan.loc["marketing_sourced", "won_deals"] == 2  # D01, D02
    dec = df[df["period_start"] == pd.Timestamp("2025-12-01")].set_index("split")
    assert dec["pipeline_usd"].to_dict() == {"sales_only": 200_000}  # D04


def test_pipeline_by_period_filters_and_bad_choices(con):
    bob = by_split(con, Q1.with_(owner="Bob"), "first_touch")  # D02, D05, D08
    assert bob["marketing_sourced"] == 82_000 and sum(bob.values()) == 82_000
    with pytest.raises(Exception, match="definition must be one of"):
        by_split(con, Q1, "last_touch")
    with pytest.raises(Exception, match="grain must be"):
        by_split(con, Q1, "first_touch", grain="week")


def campaigns(con, definition: str, by: str = "campaign", window_days: int = 90):
    # one query holds the periods, the campaigns and the channels
    return rows(con, Q1, definition, window_days, dimension=by).set_index("key")


def test_pipeline_by_campaign_first_touch(con):
    df = campaigns(con, "first_touch")
    cols = ["sourced_pipeline_usd", "influenced_pipeline_usd", "won_deals", "cost_per_won_deal_usd"]
    assert df.loc["C1", cols].tolist() == [150_000, 0, 2, 6_000]  # D01, D07 start with T01
    assert df.loc["C2", cols].tolist() == [0, 162_000, 3, pytest.approx(5_000 / 3)]  # D01, D07, D08
    assert df.loc["C3", cols].tolist() == [12_000, 150_000, 3, 1_000]  # sources D08
    assert df.loc["C4", cols].tolist() == [10_000, 50_000, 1, 1_000]  # D03 / D07 (T06)
    assert df.loc["C5", cols].tolist() == [90_000, 0, 1, 8_000]  # D02, D05, D11; only D02 won
    assert df.loc["C6", cols].tolist() == [0, 40_000, 1, 20_000]
    assert df.loc["C1", "name"] == "Search - Brand"
    # the first touches of marketing-sourced deals add up to the deal-level figure
    assert df["sourced_pipeline_usd"].sum() == 262_000


def test_pipeline_by_campaign_window_and_lead_source(con):
    w = campaigns(con, "window")
    # T01 (Nov 1) is 92 days before D07 (Feb 1): C1 sources D01 only and influences D07
    assert w.loc["C1", ["sourced_pipeline_usd", "influenced_pipeline_usd"]].tolist() == [100_000, 50_000]
    assert w.loc["C5", ["sourced_pipeline_usd", "influenced_pipeline_usd"]].tolist() == [50_000, 40_000]
    ls = campaigns(con, "lead_source")
    # L01 (C2) sources D01 and D07; L04 has no campaign and sources D10
    assert ls.loc["C2", ["sourced_pipeline_usd", "influenced_pipeline_usd"]].tolist() == [150_000, 12_000]
    assert ls.loc["(no campaign)", "sourced_pipeline_usd"] == 150_000
    assert ls.loc["C1", ["sourced_pipeline_usd", "influenced_pipeline_usd"]].tolist() == [0, 150_000]


def test_pipeline_by_channel(con):
    df = campaigns(con, "first_touch", by="channel")
    assert df.loc["paid_search", ["sourced_pipeline_usd", "cost_usd"]].tolist() == [150_000, 12_000]
    assert df.loc["content", ["influenced_pipeline_usd", "won_deals"]].tolist() == [162_000, 3]
    assert "sales" not in df.index  # sales touches are not marketing channels
    with pytest.raises(Exception, match="definition must be one of"):
        campaigns(con, "last_touch")


def test_deal_created_range_and_filter_options(con):
    row = db.run(con, "deal_created_range").iloc[0]
    assert (row["created_min"], row["created_max"]) == ("2025-10-01", "2026-03-10")
    options = pipeline.filter_options(con)
    assert options.quarters == ["2026Q1", "2025Q4"] and options.default_quarter == "2026Q1"


def test_pipeline_core(con):
    r = pipeline.pipeline(con, Filters(date(2025, 10, 1), date(2026, 3, 31)), "window", 90, "month")
    assert r.total_usd == 654_000
    assert r.table["period"].tolist() == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    row = r.table.set_index("period").loc["2026-02"]
    assert (row["marketing_sourced_usd"], row["marketing_influenced_usd"], row["pipeline_usd"]) == (
        80_000,
        12_000,
        92_000,
    )
    totals = r.totals.set_index("split")
    assert totals.loc["sales_only", "pipeline_usd"] == 359_000  # D04, D10, D12
    assert totals["share_of_pipeline"].sum() == pytest.approx(1.0)
    q = pipeline.pipeline(con, Q1, grain="quarter")
    assert q.table["period"].tolist() == ["2026Q1"] and q.table["pipeline_usd"].iloc[0] == 420_000
    with pytest.raises(ValueError, match="Definition"):
        pipeline.pipeline(con, Q1, definition="nope")
    assert pipeline.pipeline(con, Filters(date(2024, 1, 1), date(2024, 3, 31))).empty


def test_pipeline_deal_counts_and_missing_amounts(con):
    r = pipeline.pipeline(con, Q1)
    assert (r.total_deals, r.amounts_missing) == (9, False)
    assert r.table_deals.set_index("period")["deals"].to_dict() == {"2026-01": 4, "2026-02": 3, "2026-03": 2}
    assert r.totals.set_index("split")["deals"].to_dict() == {
        "marketing_sourced": 7,
        "marketing_influenced": 0,
        "sales_only": 1,
        "no_touchpoint": 1,
    }


def test_pipeline_says_when_amounts_are_missing(tmp_path):
    import degenerate

    for variant in ("null_amounts", "zero_amounts"):
        c = db.connect(degenerate.build(tmp_path / f"{variant}.duckdb", variant))
        r = pipeline.pipeline(c, Q1)
        assert (r.total_deals, r.total_usd, r.amounts_missing) == (9, 0.0, True)
        c.close()
