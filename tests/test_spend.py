"""Spend and return, and credit over time, on the hand-built fixture (tests/fixture.py) with the
spend below. Figures worked out by hand.

Spend (USD) given to every campaign, so no campaign's `cost` is used:
C1 Search - Brand (paid_search)  2026-01-10 2,000; 2026-02-10 1,000
paid_search channel-level        2026-03-31 1,000     -> paid_search Q1 4,000 (Jan 2,000, Feb 1,000, Mar 1,000)
C5 LinkedIn Ads (paid_social)    2026-01-01 4,000 (a monthly row)
C6 Data Summit (event)           2026-01-08 20,000
C4 Nurture emails (email)        2026-03-01 500
C2 ROI Guide eBook (content)     2026-02-01 1,000
C3 Q1 Webinar (webinar)          2026-01-01 3,000; 2025-12-15 999 (outside Q1)

Linear credit, booked on the close, Q1 2026 (won: D01 100k over T01..T05, 0.2 each; D02 40k,
T08 paid_social + T09 event, 0.5 each; D04 200k sales only; D07 50k over T01..T07, 1/7 each; D08
12k, T23 webinar + T24 content, 0.5 each):
paid_search  wins 0.2 + 1/7 = 0.342857    revenue 20,000 + 50,000/7 = 27,142.857
paid_social  wins 0.5                     revenue 20,000
event        wins 0.5                     revenue 20,000
email        wins 1/7                     revenue 7,142.857
webinar      wins 0.2 + 1/7 + 0.5         revenue 20,000 + 7,142.857 + 6,000 = 33,142.857
content      the same as webinar
Opportunities created in Q1: D01, D02, D03, D05, D06 (no touch), D07, D08, D10, D11 (9).
paid_social: D02 0.5 + D05 1/3 (T19, T20, T21) + D11 1/3 = 1.166667; pipeline 20,000 + 10,000
+ 20,000/3 = 36,666.667. paid_search: D01 0.2 + D07 1/7 = 0.342857 (pipeline = its revenue).
Leads created in Q1 by source: paid_search 1 (L08), paid_social 2 (L05, L09), event 1, email 1,
webinar 1, content 0.

Hence paid_search: CPL 4,000, CAC = cost per opportunity = 4,000 / 0.342857 = 11,666.67, ROAS
27,142.857 / 4,000 = 6.785714; paid_social: CPL 2,000, CAC 8,000, ROAS 5, cost per opportunity
4,000 / 1.166667 = 3,428.57, pipeline / spend 9.166667; event: CAC 40,000, ROAS 1; email: CAC
3,500, ROAS 14.285714; content: no lead, so no CPL; sales: no spend, so no ratio at all.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pytest
from helpers import period_params

from closedloop import db
from closedloop.engine import spend

Q1 = dict(date_from="2026-01-01", date_to="2026-03-31")

SPEND = [
    ("2026-01-10", "", "C1", 2000.0),
    ("2026-02-10", "", "C1", 1000.0),
    ("2026-03-31", "paid_search", "", 1000.0),
    ("2026-01-01", "", "C5", 4000.0),
    ("2026-01-08", "", "C6", 20000.0),
    ("2026-03-01", "", "C4", 500.0),
    ("2026-02-01", "", "C2", 1000.0),
    ("2026-01-01", "", "C3", 3000.0),
    ("2025-12-15", "", "C3", 999.0),
]


@pytest.fixture
def con(fixture_db):
    c = db.connect(fixture_db, read_only=False)
    c.executemany("insert into spend values (?, ?, ?, ?)", [list(r) for r in SPEND])
    yield c
    c.close()


def row(df, key):
    got = df[df["key"] == key]
    assert len(got) == 1, key
    return got.iloc[0]


def test_linear_spend_report_by_hand(con):
    r = spend.spend_report(con, "linear", "channel", **Q1)
    ps = row(r, "paid_search")
    assert ps["spend_usd"] == 4000.0 and ps["leads"] == 1
    assert ps["attributed_wins"] == pytest.approx(0.2 + 1 / 7)
    assert ps["attributed_revenue_usd"] == pytest.approx(20000 + 50000 / 7)
    assert ps["cost_per_lead_usd"] == pytest.approx(4000.0)
    assert ps["cac_usd"] == pytest.approx(11666.666667)
    assert ps["cost_per_opportunity_usd"] == pytest.approx(11666.666667)
    assert ps["roas"] == pytest.approx(6.785714, rel=1e-6)
    assert ps["pipeline_per_spend"] == pytest.approx(6.785714, rel=1e-6)
    so = row(r, "paid_social")
    assert so["leads"] == 2 and so["cost_per_lead_usd"] == pytest.approx(2000.0)
    assert so["cac_usd"] == pytest.approx(8000.0) and so["roas"] == pytest.approx(5.0)
    assert so["attributed_opportunities"] == pytest.approx(0.5 + 2 / 3)
    assert so["cost_per_opportunity_usd"] == pytest.approx(4000 / (0.5 + 2 / 3))
    assert so["pipeline_per_spend"] == pytest.approx((20000 + 10000 + 20000 / 3) / 4000)
    ev = row(r, "event")
    assert ev["cac_usd"] == pytest.approx(40000.0) and ev["roas"] == pytest.approx(1.0)
    em = row(r, "email")
    assert em["cac_usd"] == pytest.approx(3500.0) and em["roas"] == pytest.approx(50000 / 7 / 500)
    web = row(r, "webinar")
    assert web["spend_usd"] == 3000.0  # December's 999 is outside Q1
    assert web["roas"] == pytest.approx((20000 + 50000 / 7 + 6000) / 3000)
    content = row(r, "content")
    assert content["leads"] == 0 and math.isnan(content["cost_per_lead_usd"])
    sales = row(r, "sales")
    assert sales["spend_usd"] == 0
    assert all(math.isnan(sales[c]) for c in ("cost_per_lead_usd", "cac_usd", "roas", "pipeline_per_spend"))


def test_report_totals_reconcile_and_sort(con):
    r = spend.spend_report(con, "w_shaped", "channel", **Q1)
    # every model's credit sums to the CRM's: 5 wins, 402,000 won, 9 opportunities
    assert r["attributed_wins"].sum() == pytest.approx(5.0)
    assert r["attributed_revenue_usd"].sum() == pytest.approx(402000.0)
    assert r["attributed_opportunities"].sum() == pytest.approx(9.0)
    assert r["spend_usd"].sum() == pytest.approx(4000 + 4000 + 20000 + 500 + 1000 + 3000)
    assert r["key"].iloc[-1] == "No touchpoint"
    spent = r["spend_usd"].iloc[:-1].tolist()
    assert spent == sorted(spent, reverse=True)


def test_by_campaign_channel_spend_is_no_campaign(con):
    r = spend.spend_report(con, "linear", "campaign", **Q1)
    assert row(r, "Search - Brand")["spend_usd"] == 3000.0
    # the channel-level row has no campaign, like touches without one (sales touches)
    nc = row(r, "(no campaign)")
    assert nc["spend_usd"] == 1000.0
    assert nc["attributed_wins"] == pytest.approx(0.4 + 1 + 3 / 7)


def test_touch_booking_counts_touches_of_the_period(con):
    r = spend.spend_report(con, "linear", "channel", booking="touch", **Q1)
    # T01 (paid_search) happened in November: none of its credit is booked in Q1
    assert row(r, "paid_search")["attributed_wins"] == 0 and row(r, "paid_search")["roas"] == 0
    # webinar: T03 (3 Jan; D01 0.2, D07 1/7) and T23 (20 Feb; D08 0.5)
    assert row(r, "webinar")["attributed_wins"] == pytest.approx(0.2 + 1 / 7 + 0.5)
    # content: T02 was in December; T24 (5 Mar; D08 0.5 of 12,000)
    assert row(r, "content")["attributed_revenue_usd"] == pytest.approx(6000.0)


def test_monthly_trend_by_hand(con):
    t = spend.credit_over_time(con, "linear", "channel", "month", "close", **Q1)
    ps = t[t["key"] == "paid_search"].set_index("period")
    jan, feb, mar = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)
    assert ps.loc[jan, "spend_usd"] == 2000 and ps.loc[jan, "attributed_wins"] == 0 and ps.loc[jan, "roas"] == 0
    # February: D01 closed (0.2 of 100,000)
    assert ps.loc[feb, "attributed_revenue_usd"] == pytest.approx(20000) and ps.loc[feb, "roas"] == pytest.approx(20)
    # March: D07 (1/7 of 50,000) against the channel-level 1,000
    assert ps.loc[mar, "roas"] == pytest.approx(50000 / 7 / 1000)
    q = spend.credit_over_time(con, "linear", "channel", "quarter", "close", **Q1)
    assert q["period"].unique().tolist() == [date(2026, 1, 1)]
    assert q["attributed_wins"].sum() == pytest.approx(5.0)


def test_ranks_over_quarters_first_touch(con):
    r = spend.ranks_over_quarters(con, 2, "2026-03-31", data_driven=False)
    assert sorted(r["quarter"].unique()) == ["2025 Q4", "2026 Q1"]
    ft = r[(r["model"] == "first_touch") & (r["quarter"] == "2026 Q1")].set_index("key")
    # FT of D01 and D07 is T01 paid_search; D02 T08 paid_social, D04 T16 sales, D08 T23 webinar
    assert ft.loc["paid_search", "value"] == 2 and ft.loc["paid_search", "rank"] == 1
    assert {ft.loc[k, "rank"] for k in ("paid_social", "sales", "webinar")} == {2}
    # Q4 2025: D12 won, its only touch T22 is sales
    q4 = r[(r["model"] == "first_touch") & (r["quarter"] == "2025 Q4")].set_index("key")
    assert q4.loc["sales", "rank"] == 1 and q4.loc["sales", "value"] == 1


def test_ranks_include_data_driven_models(con):
    r = spend.ranks_over_quarters(con, 1, "2026-03-31")
    assert {"markov", "shapley", "linear"} <= set(r["model"])


def test_campaign_cost_is_the_simplest_spend(fixture_db):
    c = duckdb.connect(str(fixture_db))
    try:
        # no spend rows: each campaign's cost spread over its days; C6 Data Summit is one day
        s = spend.spend_by_period(c, "campaign", "month", "2026-01-01", "2026-03-31")
        summit = s[s["key"] == "Data Summit"]
        assert summit["spend_usd"].tolist() == [20000.0] and summit["period"].tolist() == [date(2026, 1, 1)]
        # Q1 Webinar: 3,000 over 1 Jan .. 31 Mar (90 days): January 31/90 of it
        web = s[s["key"] == "Q1 Webinar"].set_index("period")["spend_usd"]
        assert web[date(2026, 1, 1)] == pytest.approx(3000 * 31 / 90)
        assert web.sum() == pytest.approx(3000.0)
    finally:
        c.close()


def test_compare_spend_ranks_costs_low_first(con):
    w = spend.compare_spend(con, "cac", ["linear", "first_touch"], by="channel", **Q1).set_index("key")
    # linear CAC: content 1,000 / 0.842857 = 1,186.44 is the cheapest won deal, then email 3,500
    assert w.loc["content", "linear"] == pytest.approx(1000 / (0.2 + 1 / 7 + 0.5))
    assert w.loc["content", "rank_linear"] == 1
    assert w.loc["email", "linear"] == pytest.approx(3500.0) and w.loc["email", "rank_linear"] == 2
    # first touch: content is never first (D01, D07 start with T01; D08 with T23): no won deal, no CAC
    assert math.isnan(w.loc["content", "first_touch"])
    # no spend, no rank
    assert w["rank_linear"].isna()[w["spend_usd"] == 0].all()


def test_bad_arguments_say_what_is_wrong(con):
    with pytest.raises(ValueError, match="channel or campaign"):
        spend.spend_report(con, "linear", "asset", **Q1)
    with pytest.raises(ValueError, match="close or on the touch"):
        spend.spend_report(con, "linear", "channel", booking="invoice", **Q1)
    with pytest.raises(ValueError, match="book its credit on the close"):
        spend.spend_report(con, "markov", "channel", booking="touch", **Q1)


def test_spend_by_period_query_by_quarter(con):
    df = db.run(con, "spend_by_period", by="channel", grain="quarter", period_from=date(2026, 1, 1), period_to=None)
    got = dict(zip(df["key"], df["spend_usd"], strict=True))
    assert got["paid_search"] == 4000 and got["event"] == 20000 and got["webinar"] == 3000
    assert dict(zip(df["key"], df["leads"], strict=True))["paid_social"] == 2
    with pytest.raises(duckdb.Error, match="channel or campaign"):
        db.run(con, "spend_by_period", by="asset", grain="month", period_from=None, period_to=None)


def test_credit_over_time_query_books_every_deal_once(con):
    from closedloop.engine.attribution.api import catalogue_params

    df = db.run(
        con,
        "credit_over_time",
        by="team",
        grain="quarter",
        booking="close",
        half_life_days=7.0,
        **period_params(),
        **catalogue_params(names=["first_touch"]),
    )
    for model, one in df.groupby("model"):
        # all time: 6 wins (D12 in Q4 2025), 411,000 won; 12 deals created, every one once
        assert one["attributed_wins"].sum() == pytest.approx(6.0), model
        assert one["attributed_revenue_usd"].sum() == pytest.approx(411000.0), model
        assert one["attributed_opportunities"].sum() == pytest.approx(12.0), model


def test_a_database_before_spend_says_how_to_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    c = duckdb.connect(str(path))
    c.execute("create table campaigns (campaign_id varchar, name varchar, channel varchar, cost double)")
    try:
        with pytest.raises(ValueError, match="closedloop refresh"):
            spend.spend_by_period(c, "channel", "month")
    finally:
        c.close()
