"""The closed-loop review on the hand-built fixture (figures in tests/fixture.py)."""

from __future__ import annotations

from datetime import date

import pytest

from closedloop import db, filters
from closedloop.filters import Filters, from_query_params, quarter_bounds, quarters_between, to_query_params
from closedloop.pages import review

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))


def test_review_kpis(fixture_con):
    k = db.run(fixture_con, "review_kpis", **Q1.params()).to_dict("records")[0]
    assert k["deals_won"] == 5
    assert k["deals_lost"] == 3
    assert k["win_rate"] == pytest.approx(0.625)
    assert k["revenue_won_usd"] == 402_000
    assert k["median_days_to_close"] == 50  # 28, 36, 50, 57, 104
    assert k["share_won_marketing_touched"] == pytest.approx(0.8)  # D04 has only sales touches
    assert k["share_won_sales_touched"] == pytest.approx(0.6)  # D02, D08 only marketing


def test_review_kpis_with_filters(fixture_con):
    smb = db.run(fixture_con, "review_kpis", **Q1.with_(segment="SMB").params()).iloc[0]
    assert (smb["deals_won"], smb["deals_lost"], smb["revenue_won_usd"]) == (1, 2, 12_000)
    bob = db.run(fixture_con, "review_kpis", **Q1.with_(owner="Bob").params()).iloc[0]
    assert (bob["deals_won"], bob["deals_lost"]) == (2, 1)  # D02, D08 won; D05 lost


def test_period_is_inclusive_of_its_last_day(fixture_con):
    # D07 closed on 2026-03-30; a period ending that day includes it
    k = db.run(fixture_con, "review_kpis", **Q1.with_(date_to=date(2026, 3, 30)).params()).iloc[0]
    assert k["deals_won"] == 5
    k = db.run(fixture_con, "review_kpis", **Q1.with_(date_to=date(2026, 3, 29)).params()).iloc[0]
    assert k["deals_won"] == 4


def test_review_touch_types(fixture_con):
    df = db.run(fixture_con, "review_touch_types", **Q1.params()).set_index("touchpoint_type")
    assert df.loc["sales_email", ["won_deals_touched", "lost_deals_touched"]].tolist() == [0, 2]
    assert df.loc["sales_email", "share_difference"] == pytest.approx(-2 / 3)
    assert df.loc["webinar_attended", "share_won_touched"] == pytest.approx(0.6)
    assert df.loc["ad_view", "share_difference"] == pytest.approx(1 / 5 - 1 / 3)
    assert df.loc["ad_view", "won_deals_total"] == 5 and df.loc["ad_view", "lost_deals_total"] == 3
    # T14/T15 fall before D04's lookback, T10/T18 after a close: those types never appear for Q1 closes
    assert "whitepaper_download" not in df.index and "demo_request" not in df.index
    assert df["share_difference"].is_monotonic_decreasing
    assert len(df) == 11


def test_review_touch_types_contact_scope(fixture_con):
    # T01, T08 and T19 have no contact, so they drop out under contact roles
    df = db.run(fixture_con, "review_touch_types", **Q1.with_(scope="contact_roles").params()).set_index(
        "touchpoint_type"
    )
    assert "ad_click" not in df.index and "ad_view" not in df.index


def test_review_closed_deals(fixture_con):
    df = db.run(fixture_con, "review_closed_deals", **Q1.params()).set_index("deal_id")
    assert sorted(df.index) == ["D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08"]
    counts = df[["marketing_touches", "sales_touches"]].apply(tuple, axis=1).to_dict()
    assert counts == {
        "D01": (3, 2),
        "D02": (2, 0),
        "D03": (1, 2),
        "D04": (0, 2),
        "D05": (1, 2),
        "D06": (0, 0),
        "D07": (4, 3),
        "D08": (2, 0),
    }
    assert df.loc["D04", "days_to_close"] == 104
    assert df.loc["D01", "account_name"] == "Acme Corp"


def test_shorter_lookback_drops_early_touches(fixture_con):
    # 60 days before D01's creation (2026-01-05) is 2025-11-06: T01 (2025-11-01) drops out
    df = db.run(fixture_con, "review_closed_deals", **Q1.with_(lookback_days=60).params())
    assert df.set_index("deal_id").loc["D01", "marketing_touches"] == 2


def test_filter_options(fixture_con):
    df = db.run(fixture_con, "filter_options")
    values = df.groupby("filter")["value"].apply(list).to_dict()
    assert values["segment"] == ["Enterprise", "Mid-Market", "SMB"]
    assert values["closed_min"] == ["2025-12-15"] and values["closed_max"] == ["2026-03-30"]
    opts = filters.filter_options(fixture_con)
    assert opts.default_quarter == "2026Q1" and opts.quarters == ["2026Q1", "2025Q4"]


@pytest.mark.parametrize(
    "f",
    [
        Q1,
        Q1.with_(segment="SMB"),
        Q1.with_(owner="Bob"),
        Q1.with_(region="EMEA"),
        Q1.with_(scope="contact_roles", lookback_days=60),
        Q1.with_(date_to=date(2026, 3, 29)),
        Filters(date(2025, 10, 1), date(2025, 12, 31)),
    ],
    ids=["q1", "smb", "bob", "emea", "contacts", "to-29-mar", "q4"],
)
def test_page_kpis_equal_the_kpi_query(fixture_con, f):
    # the page reads its KPIs off the closed-deal table (one pass over the touches fewer)
    sql = db.run(fixture_con, "review_kpis", **f.params()).to_dict("records")[0]
    page = review.review(fixture_con, f).kpis
    assert page.keys() == sql.keys()
    for key, value in sql.items():
        assert page[key] == (None if value != value or value is None else pytest.approx(value)), key


def test_empty_period(fixture_con):
    r = review.review(fixture_con, Filters(date(2024, 1, 1), date(2024, 3, 31)))
    assert r.empty and r.kpis["deals_won"] == 0 and r.kpis["win_rate"] is None


def test_quarters():
    assert quarter_bounds("2026Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds("2025Q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert quarters_between(date(2025, 11, 5), date(2026, 4, 1)) == ["2026Q2", "2026Q1", "2025Q4"]
    with pytest.raises(ValueError, match="2026Q1"):
        quarter_bounds("Q1-2026")


def test_filters_round_trip_through_the_url():
    f = Filters(
        date(2026, 1, 1), date(2026, 2, 15), segment="SMB", owner="Bob", lookback_days=90, scope="contact_roles"
    )
    qp = to_query_params(f)
    assert qp == {
        "from": "2026-01-01",
        "to": "2026-02-15",
        "segment": "SMB",
        "owner": "Bob",
        "lookback": "90",
        "scope": "contact_roles",
    }
    assert from_query_params(qp, "2026Q1") == (f, None)
    g, q = from_query_params({"quarter": "2025Q4", "region": "EMEA"}, "2026Q1")
    assert q == "2025Q4" and g.date_from == date(2025, 10, 1) and g.region == "EMEA"
    # garbage falls back to the default quarter instead of failing
    assert from_query_params({"quarter": "soon", "lookback": "x"}, "2026Q1")[0] == Filters(
        date(2026, 1, 1), date(2026, 3, 31)
    )
