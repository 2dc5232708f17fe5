"""Win-rate lift (queries/touchpoint_lift.sql, closedloop/engine/lift.py).

Hand-worked on the fixture (tests/fixture.py), Q1 2026: 5 won (D01, D02, D04,
D07, D08) and 3 lost (D03, D05, D06). Touch types in each deal's window
(account scope, 180-day lookback):

    D01 won   ad_click, ebook_download, webinar_attended, sales_meeting, sales_call
    D02 won   ad_view, event_attended
    D03 lost  email_open, sales_email
    D04 won   sales_meeting, linkedin_inmail
    D05 lost  ad_view, sales_email
    D06 lost  (none)
    D07 won   ad_click, ebook_download, webinar_attended, sales_meeting, sales_call, email_click
    D08 won   webinar_attended, ebook_download

and on a generated sample, that each planted effect (docs/sample.md) shows.
"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest
from helpers import filter_params, generated_sample

from closedloop import db, sample
from closedloop.engine import lift

Q1 = ("2026-01-01", "2026-03-31")
Z95 = 1.959963984540054


def wilson(x: int, n: int) -> tuple[float, float]:
    """Wilson score interval of x successes in n, by its textbook formula."""
    p = x / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 / (1 + Z95**2 / n) * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n))
    return centre - half, centre + half


def newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval (method 10) for p1 - p2."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1)
    l2, u2 = wilson(x2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def by_key(df: pd.DataFrame) -> dict[str, dict]:
    return {r["key"]: r for r in df.to_dict("records")}


def counts(row: dict) -> tuple[int, int, int, int]:
    """(touched won, touched lost, not touched won, not touched lost)"""
    return (
        row["deals_touched_won"],
        row["deals_touched_lost"],
        row["deals_not_touched_won"],
        row["deals_not_touched_lost"],
    )


def test_q1_touchpoint_types_by_hand(fixture_con) -> None:
    df = lift.touchpoint_lift(fixture_con, *Q1)
    rows = by_key(df)
    # (touched won, touched lost, not touched won, not touched lost); types with the same counts together
    expected = {
        **dict.fromkeys(("webinar_attended", "ebook_download", "sales_meeting"), (3, 0, 2, 3)),
        **dict.fromkeys(("ad_click", "sales_call"), (2, 0, 3, 3)),
        **dict.fromkeys(("event_attended", "linkedin_inmail", "email_click"), (1, 0, 4, 3)),
        "ad_view": (1, 1, 4, 2),
        "email_open": (0, 1, 5, 2),
        "sales_email": (0, 2, 5, 1),
    }
    assert set(rows) == set(expected)
    for key, (tw, tl, nw, nl) in expected.items():
        r = rows[key]
        assert counts(r) == (tw, tl, nw, nl), key
        assert r["deals_touched"] == tw + tl and r["deals_not_touched"] == nw + nl
        assert r["win_rate_touched"] == pytest.approx(tw / (tw + tl))
        assert r["win_rate_not_touched"] == pytest.approx(nw / (nw + nl))
        low, high = newcombe(tw, tw + tl, nw, nw + nl)
        assert r["win_rate_diff_low95"] == pytest.approx(low), key
        assert r["win_rate_diff_high95"] == pytest.approx(high), key
        assert bool(r["small_sample"]) is True  # 8 closed deals in all

    web = rows["webinar_attended"]
    assert web["win_rate_touched"] == 1.0
    assert web["win_rate_not_touched"] == pytest.approx(0.4)
    assert web["win_rate_diff"] == pytest.approx(0.6)
    # worked by hand: Wilson(3/3) = [0.4385, 1], Wilson(2/5) = [0.1176, 0.7693];
    # low = 0.6 - sqrt(0.5615² + 0.3693²) = -0.0720, high = 0.6 + sqrt(0 + 0.2824²) = 0.8824
    assert web["win_rate_diff_low95"] == pytest.approx(-0.0720, abs=1e-4)
    assert web["win_rate_diff_high95"] == pytest.approx(0.8824, abs=1e-4)

    email = rows["sales_email"]
    assert email["win_rate_touched"] == 0.0
    assert email["win_rate_not_touched"] == pytest.approx(5 / 6)
    assert email["win_rate_diff"] == pytest.approx(-5 / 6)

    # largest lift first; ties in key order
    assert list(df["key"][:5]) == [
        "ebook_download",
        "sales_meeting",
        "webinar_attended",
        "ad_click",
        "sales_call",
    ]
    assert list(df["key"][-3:]) == ["ad_view", "email_open", "sales_email"]
    assert df["win_rate_diff"].is_monotonic_decreasing


def test_q1_other_dimensions(fixture_con) -> None:
    channels = by_key(lift.touchpoint_lift(fixture_con, *Q1, dimension="channel"))
    # sales touched D01, D03, D04, D05, D07; not D02, D06, D08
    s = channels["sales"]
    assert counts(s) == (3, 2, 2, 1)
    assert s["win_rate_diff"] == pytest.approx(3 / 5 - 2 / 3)

    campaigns = by_key(lift.touchpoint_lift(fixture_con, *Q1, dimension="campaign"))
    assert campaigns["C3"]["label"] == "Q1 Webinar"
    assert counts(campaigns["C3"]) == (3, 0, 2, 3)
    # C4 nurture emails: T11 (D03) and T06 (D07)
    assert counts(campaigns["C4"]) == (1, 1, 4, 2)

    assets = by_key(lift.touchpoint_lift(fixture_con, *Q1, dimension="asset"))
    # touches without an asset are not an asset; T14's whitepaper is before D04's lookback
    assert set(assets) == {"ROI Guide", "Q1 Webinar", "Summit booth"}
    assert counts(assets["Summit booth"]) == (1, 0, 4, 3)


def test_contact_roles_scope(fixture_con) -> None:
    rows = by_key(lift.touchpoint_lift(fixture_con, *Q1, scope="contact_roles"))
    # ad_click (T01) and ad_view have no contact; D07's contact K01 had no call
    assert "ad_click" not in rows and "ad_view" not in rows
    assert counts(rows["sales_call"]) == (1, 0, 4, 3)
    assert counts(rows["webinar_attended"]) == (3, 0, 2, 3)


def test_filters_period_and_lookback(fixture_con) -> None:
    ent = by_key(lift.touchpoint_lift(fixture_con, *Q1, segment="Enterprise"))
    # Enterprise: D01, D07 (A1) and D04 (A4), all won
    web = ent["webinar_attended"]
    assert counts(web) == (2, 0, 1, 0)
    assert web["win_rate_diff"] == pytest.approx(0.0)

    bob = by_key(lift.touchpoint_lift(fixture_con, *Q1, owner="Bob"))  # D02 won, D05 lost, D08 won
    assert counts(bob["ad_view"]) == (1, 1, 1, 0)

    emea = lift.touchpoint_lift(fixture_con, *Q1, region="EMEA")  # D02 won, D06 lost (untouched)
    assert set(emea["key"]) == {"ad_view", "event_attended"}

    # the period's end day counts whole: only D07 closed on 2026-03-30; every
    # touched key then has no untouched deal to compare with
    day = lift.touchpoint_lift(fixture_con, "2026-03-30", "2026-03-30")
    assert (day["deals_touched"] == 1).all() and (day["deals_not_touched"] == 0).all()
    assert day["win_rate_not_touched"].isna().all() and day["win_rate_diff"].isna().all()

    # with no lookback, touches before a deal's creation don't count: T08 and T19 go
    none = by_key(lift.touchpoint_lift(fixture_con, *Q1, lookback_days=0))
    assert "ad_view" not in none
    # only D08's attendance (T23) came after its deal's creation
    assert none["webinar_attended"]["deals_touched_won"] == 1


def test_empty_period(fixture_con) -> None:
    df = lift.touchpoint_lift(fixture_con, "2030-01-01", "2030-03-31")
    assert df.empty
    assert "win_rate_diff_low95" in df.columns


def test_bad_arguments(fixture_con) -> None:
    with pytest.raises(ValueError, match="dimension 'owner'.*touchpoint_type, channel, campaign, asset"):
        lift.touchpoint_lift(fixture_con, *Q1, dimension="owner")
    with pytest.raises(ValueError, match="scope"):
        lift.touchpoint_lift(fixture_con, *Q1, scope="everything")
    # the SQL guards its own allowlist too
    with pytest.raises(duckdb.Error, match="unknown dimension"):
        db.run(
            fixture_con,
            "touchpoint_lift",
            dimension="owner",
            **filter_params(date_from=Q1[0], date_to=Q1[1]),
        )


def test_interval_is_the_textbook_newcombe_on_every_small_count() -> None:
    """statsmodels' interval (lift._with_rates) gives the textbook formula's numbers above on every
    count up to 6 a side, rates of 0 and 1 included; a side with no closed deals has no interval."""
    rows = [(tw, t - tw, nw, n - nw) for t in range(7) for tw in range(t + 1) for n in range(7) for nw in range(n + 1)]
    counts_df = pd.DataFrame(
        {
            "key": [f"k{i}" for i in range(len(rows))],
            "label": [f"k{i}" for i in range(len(rows))],
            "deals_touched_won": [r[0] for r in rows],
            "deals_touched_lost": [r[1] for r in rows],
            "deals_won": [r[0] + r[2] for r in rows],
            "deals_lost": [r[1] + r[3] for r in rows],
        }
    )
    out = lift._with_rates(counts_df)
    checked = 0
    for (tw, tl, nw, nl), low, high in zip(rows, out["win_rate_diff_low95"], out["win_rate_diff_high95"], strict=True):
        if tw + tl == 0 or nw + nl == 0:
            assert math.isnan(low) and math.isnan(high)
            continue
        want_low, want_high = newcombe(tw, tw + tl, nw, nw + nl)
        assert low == pytest.approx(want_low, abs=1e-12), (tw, tl, nw, nl)
        assert high == pytest.approx(want_high, abs=1e-12), (tw, tl, nw, nl)
        assert -1 <= low <= tw / (tw + tl) - nw / (nw + nl) <= high <= 1
        checked += 1
    assert checked == 27 * 27  # (1+2+...+7 - 1) count pairs a side with at least one deal


# --- planted effects on a generated sample -----------------------------------


@pytest.fixture(scope="module")
def sample_con(tmp_path_factory: pytest.TempPathFactory):
    con = db.connect(generated_sample(tmp_path_factory, "lift", deals=3000, seed=42))
    yield con
    con.close()


ALL_TIME = ("2024-01-01", sample.REFERENCE_DATE)


def test_planted_win_signals(sample_con) -> None:
    rows = by_key(lift.touchpoint_lift(sample_con, *ALL_TIME))
    for key in ("webinar_attended", "sales_meeting"):
        assert rows[key]["win_rate_diff"] > 0.25, key
        assert rows[key]["win_rate_diff_low95"] > 0, key
    demo = rows["demo_request"]
    assert demo["win_rate_diff_low95"] > 0
    assert demo["win_rate_diff"] < min(
        rows["webinar_attended"]["win_rate_diff"], rows["sales_meeting"]["win_rate_diff"]
    )
    assert not any(r["small_sample"] for r in rows.values())


def test_planted_neutral_ad_view(sample_con) -> None:
    rows = by_key(lift.touchpoint_lift(sample_con, *ALL_TIME))
    ad = rows["ad_view"]
    # no effect was planted: the difference is small, and its interval reaches
    # a near-zero effect (sampling noise alone is about ±4 points at this size)
    assert abs(ad["win_rate_diff"]) < 0.05
    assert ad["win_rate_diff_low95"] < 0.02 and ad["win_rate_diff_high95"] > -0.02
    assert abs(ad["win_rate_diff"]) < rows["webinar_attended"]["win_rate_diff"] / 5


def test_planted_email_only_losses(sample_con) -> None:
    cur = sample_con.cursor()
    cur.execute(db.sql_text("macros"))
    rates = dict(
        cur.execute("""
        with per_deal as (
            select d.deal_id, d.outcome,
                   bool_and(t.touchpoint_type in ('email_open', 'email_click', 'sales_email')) as email_only
            from deals as d
            join deal_touches(180, 'account') as t on t.deal_id = d.deal_id
            where d.outcome in ('won', 'lost')
            group by all
        )
        select email_only, avg((outcome = 'won')::int) from per_deal group by all
    """).fetchall()
    )
    assert rates[True] < 0.2
    assert rates[False] - rates[True] > 0.25
    # and email opens alone mark losses in the lift table
    opens = by_key(lift.touchpoint_lift(sample_con, *ALL_TIME))["email_open"]
    assert opens["win_rate_diff_high95"] < 0


def test_channel_and_campaign_lift_on_sample(sample_con) -> None:
    channels = by_key(lift.touchpoint_lift(sample_con, *ALL_TIME, dimension="channel"))
    assert channels["webinar"]["win_rate_diff_low95"] > 0
    campaigns = lift.touchpoint_lift(sample_con, *ALL_TIME, dimension="campaign")
    assert campaigns["label"].str.startswith("Webinar series").any()
    assert (campaigns["deals_touched"] + campaigns["deals_not_touched"]).nunique() == 1
