"""Handoff & SLA on the hand-built fixture (leads L01..L09 in tests/fixture.py).

Hours from assignment to first follow-up, worked out by hand:
L01 6 (09:00 -> 15:00), L02 72, L04 2, L05 48, L06 1, L07 4; L03, L08, L09 never.
Leads created in Q1 2026: L02, L03, L05, L07, L08, L09 (L01 Dec 2025, L04 May 2025,
L06 Jun 2025 fall before it).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from closedloop import db
from closedloop.filters import Filters
from closedloop.pages import handoff

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31))
ALL = Filters(date(2025, 1, 1), date(2026, 3, 31))


def lead_params(f: Filters) -> dict:
    return {"date_from": f.date_from, "date_to": f.date_to, "segment": f.segment, "region": f.region, "owner": f.owner}


def test_lead_follow_up_hours_and_sla(fixture_con):
    df = db.run(fixture_con, "lead_follow_up", **lead_params(ALL), sla_hours=24.0).set_index("lead_id")
    assert len(df) == 9 and df["assigned"].all()
    hours = df["hours_to_follow_up"].dropna().to_dict()
    assert hours == {"L01": 6, "L02": 72, "L04": 2, "L05": 48, "L06": 1, "L07": 4}
    assert sorted(df.index[df["within_sla"]]) == ["L01", "L04", "L06", "L07"]
    # never followed up: no hours, and not within the SLA
    assert df.loc[["L03", "L08", "L09"], "followed_up"].tolist() == [False, False, False]
    assert not df.loc[["L03", "L08", "L09"], "within_sla"].any()
    assert df.loc["L03", "campaign_name"] == "Nurture emails"


def test_lead_follow_up_sla_and_period_change_the_answer(fixture_con):
    df = db.run(fixture_con, "lead_follow_up", **lead_params(ALL), sla_hours=48.0)
    assert df["within_sla"].sum() == 5  # + L05 at exactly 48 hours
    q1 = db.run(fixture_con, "lead_follow_up", **lead_params(Q1), sla_hours=24.0)
    assert sorted(q1["lead_id"]) == ["L02", "L03", "L05", "L07", "L08", "L09"]
    assert q1["within_sla"].sum() == 1  # L07
    alice = db.run(fixture_con, "lead_follow_up", **lead_params(Q1.with_(owner="Alice")), sla_hours=24.0)
    assert sorted(alice["lead_id"]) == ["L03", "L07", "L08"]
    smb = db.run(fixture_con, "lead_follow_up", **lead_params(Q1.with_(segment="SMB")), sla_hours=24.0)
    assert sorted(smb["lead_id"]) == ["L03", "L07", "L09"]  # A3, A7


def test_leads_never_followed_up_and_their_cost(fixture_con):
    df = db.run(fixture_con, "leads_never_followed_up", **lead_params(ALL)).set_index("lead_id")
    assert df.index.tolist() == ["L08", "L09", "L03"]  # most expensive first
    # C1 12,000 / 1 lead; C5 8,000 / 2 leads (L05, L09); C4 1,000 / 1 lead
    assert df["campaign_leads"].to_dict() == {"L08": 1, "L09": 2, "L03": 1}
    assert df["cost_per_lead_usd"].to_dict() == {"L08": 12_000, "L09": 4_000, "L03": 1_000}
    assert df["cost_per_lead_usd"].sum() == 17_000
    assert df.loc["L08", "lead_status"] == "disqualified" and df.loc["L03", "lead_status"] == "accepted"


def test_leads_never_followed_up_follow_the_filters(fixture_con):
    # cost per lead counts every lead of the campaign, whatever the filters
    bob = db.run(fixture_con, "leads_never_followed_up", **lead_params(ALL.with_(owner="Bob")))
    assert bob[["lead_id", "cost_per_lead_usd"]].values.tolist() == [["L09", 4_000]]
    dec = db.run(fixture_con, "leads_never_followed_up", **lead_params(ALL.with_(date_to=date(2025, 12, 31))))
    assert dec.empty
    na = db.run(fixture_con, "leads_never_followed_up", **lead_params(ALL.with_(region="NA")))
    assert sorted(na["lead_id"]) == ["L03", "L08", "L09"]


def funnel(con, f: Filters, by: str) -> pd.DataFrame:
    # one query holds both groupings
    df = db.run(con, "lead_funnel", **lead_params(f))
    assert df["dimension"].drop_duplicates().tolist() == ["source_channel", "owner"]
    return df[df["dimension"] == by].drop(columns="dimension").set_index("group_key")


def test_lead_funnel_by_source_channel(fixture_con):
    df = funnel(fixture_con, ALL, "source_channel")
    stages = ["leads", "mqls", "accepted", "opportunities", "won"]
    # L07 (webinar): A7's only deal D08 was created before the lead -> no opportunity
    assert df.loc["webinar", stages].tolist() == [1, 1, 1, 0, 0]
    # L05 accepted, D05 lost / D11 open; L09 never accepted
    assert df.loc["paid_social", stages].tolist() == [2, 2, 1, 1, 0]
    # L06 (sales, Jun 2025): D12 on A6, created Nov 2025, won
    assert df.loc["sales", stages].tolist() == [1, 1, 1, 1, 1]
    # L08 disqualified: the funnel is nested, so D07 does not count for it
    assert df.loc["paid_search", stages].tolist() == [1, 1, 0, 0, 0]
    assert df[stages].sum().tolist() == [9, 9, 7, 6, 4]
    assert df.loc["paid_social", "mql_to_accepted"] == pytest.approx(0.5)
    assert df.loc["paid_social", "opportunity_to_won"] == pytest.approx(0.0)


def test_lead_funnel_by_owner_in_q1(fixture_con):
    df = funnel(fixture_con, Q1, "owner")
    stages = ["mqls", "accepted", "opportunities", "won"]
    assert df.loc["Alice", stages].tolist() == [3, 2, 1, 0]  # L03, L07, L08
    assert df.loc["Bob", stages].tolist() == [3, 2, 2, 1]  # L02 won via D02
    assert "Carol" not in df.index  # her leads were created in 2025
    assert df.loc["Bob", "mql_to_won"] == pytest.approx(1 / 3)


def test_lead_funnel_rows_are_the_groupings_of_the_same_leads(fixture_con):
    df = db.run(fixture_con, "lead_funnel", **lead_params(ALL))
    totals = df.groupby("dimension")[["leads", "mqls", "accepted", "opportunities", "won"]].sum()
    assert totals.loc["source_channel"].tolist() == totals.loc["owner"].tolist() == [9, 9, 7, 6, 4]


def test_lead_filter_options(fixture_con):
    df = db.run(fixture_con, "lead_filter_options")
    by = {k: g["value"].tolist() for k, g in df.groupby("filter")}
    assert by == {"owner": ["Alice", "Bob", "Carol"], "created_max": ["2026-02-20"], "created_min": ["2025-05-25"]}
    options = handoff.filter_options(fixture_con)
    assert options.quarters == ["2026Q1", "2025Q4", "2025Q3", "2025Q2"]
    assert options.default_quarter == "2026Q1"


def test_handoff_kpis_all_leads(fixture_con):
    h = handoff.handoff(fixture_con, ALL)
    k = h.kpis
    assert (k["leads_assigned"], k["followed_up"], k["within_sla"], k["never_followed_up"]) == (9, 6, 4, 3)
    assert k["follow_up_rate"] == pytest.approx(6 / 9)
    assert k["share_within_sla"] == pytest.approx(4 / 9)
    assert k["median_hours_to_follow_up"] == pytest.approx(5.0)  # 1, 2, 4, 6, 48, 72
    assert k["never_followed_up_cost_usd"] == 17_000
    assert h.funnel_total[["mqls", "accepted", "opportunities", "won"]].iloc[0].tolist() == [9, 7, 6, 4]


def test_handoff_kpis_q1(fixture_con):
    k = handoff.handoff(fixture_con, Q1).kpis
    assert (k["leads_assigned"], k["followed_up"], k["within_sla"]) == (6, 3, 1)
    assert k["median_hours_to_follow_up"] == pytest.approx(48.0)  # 4, 48, 72
    assert k["never_followed_up_cost_usd"] == 17_000


def test_speed_buckets_split_at_the_sla(fixture_con):
    h = handoff.handoff(fixture_con, ALL)
    counts = dict(zip(h.speed["bucket"], h.speed["leads"], strict=True))
    assert counts == {
        "≤ 1 h": 1,
        "1 h–4 h": 2,
        "4 h–8 h": 1,
        "8 h–24 h": 0,
        "24 h–2 d": 1,
        "2 d–3 d": 1,
        "3 d–7 d": 0,
        "> 7 d": 0,
        "Never followed up": 3,
    }
    within = h.speed.loc[h.speed["status"] == "Within SLA", "leads"].sum()
    assert within == h.kpis["within_sla"] == 4
    # an SLA off the standard edges becomes an edge of its own
    h36 = handoff.handoff(fixture_con, ALL, sla_hours=36)
    assert "24 h–36 h" in h36.speed["bucket"].tolist() and "36 h–2 d" in h36.speed["bucket"].tolist()
    with pytest.raises(ValueError, match="positive"):
        handoff.handoff(fixture_con, ALL, sla_hours=0)


def test_handoff_empty_period(fixture_con):
    h = handoff.handoff(fixture_con, Filters(date(2024, 1, 1), date(2024, 3, 31)))
    assert h.empty and h.kpis["median_hours_to_follow_up"] is None
    assert h.kpis["never_followed_up_cost_usd"] is None
