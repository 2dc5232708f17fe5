"""Rule-based attribution: positions FT/LC/OC/CL and every model's credit, worked out by hand.

Small databases are built per test (`build_db`); the shared fixture (tests/fixture.py)
checks the documented deals D01, D04 and D06 and the Q1 2026 roll-ups.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import filter_params
from pytest import approx

from closedloop import db
from closedloop.engine import attribution
from closedloop.engine.attribution import CustomWeights, api, load_weights

Q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
DAY0 = datetime(2026, 1, 1)


def day(n: float) -> datetime:
    """Day n of 2026 at 10:00 (deals open and close at midnight, so no touch ties a boundary)."""
    return DAY0 + timedelta(days=n, hours=10)


def midnight(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


# a deal created on day 3 (no lead or contact: no LC) and won on day 30, with four touches of its account
X3 = ("X3", "A1", midnight(3), midnight(30), "won", 100.0)
X3_TOUCHES = [
    ("a", day(0), "A1", "ads"),
    ("b", day(2), "A1", "email"),
    ("c", day(10), "A1", "webinar"),
    ("d", day(20), "A1", "sales"),
]


def build_db(
    con: duckdb.DuckDBPyConnection,
    deals: Iterable[Sequence],
    touches: Iterable[Sequence],
    contacts: Iterable[Sequence] = (),
    leads: Iterable[Sequence] = (),
    deal_contacts: Iterable[Sequence] = (),
    campaigns: Iterable[Sequence] = (),
) -> duckdb.DuckDBPyConnection:
    """A minimal Closed Loop database.

    deals: (deal_id, account_id, created_at, closed_at, outcome, amount)
    touches: (touchpoint_id, occurred_at, account_id, channel
              [, touchpoint_type[, contact_id[, team[, campaign_id]]]])
    contacts: (contact_id, account_id, created_at); leads: (lead_id, contact_id, account_id, created_at)
    """
    db.create_schema(con)
    deals = list(deals)
    for acct in sorted({d[1] for d in deals if d[1]}):
        con.execute("insert into accounts values (?, ?, 'Software', 'SMB', 'NA', 10)", [acct, acct])
    stage = {"won": "closed_won", "lost": "closed_lost", "open": "proposal"}
    _insert(
        con,
        "insert into deals (deal_id, account_id, name, owner, created_at, closed_at, "
        "stage, outcome, amount) values (?, ?, ?, 'Alice', ?, ?, ?, ?, ?)",
        [
            [d_id, acct, d_id, created, closed, stage[outcome], outcome, amount]
            for d_id, acct, created, closed, outcome, amount in deals
        ],
    )
    rows = []
    for t in touches:
        t_id, occurred, acct, channel, t_type, contact, team, campaign = list(t) + [None] * (8 - len(t))
        rows.append(
            [t_id, occurred, acct, contact, team or "marketing", channel, t_type or f"{channel}_touch", campaign]
        )
    _insert(
        con,
        "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
        "touchpoint_type, campaign_id, asset) values (?, ?, ?, ?, ?, ?, ?, ?, null)",
        rows,
    )
    for c in contacts:
        con.execute("insert into contacts values (?, ?, 'x', 'x', ?)", list(c))
    for lead in leads:
        con.execute("insert into leads (lead_id, contact_id, account_id, created_at) values (?, ?, ?, ?)", list(lead))
    for dc in deal_contacts:
        con.execute("insert into deal_contacts values (?, ?, 'champion')", list(dc))
    for c in campaigns:
        con.execute("insert into campaigns (campaign_id, name, channel) values (?, ?, ?)", list(c))
    return con


def _insert(con: duckdb.DuckDBPyConnection, sql: str, rows: list) -> None:
    if rows:  # executemany refuses an empty list
        con.executemany(sql, rows)


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def credits(con: duckdb.DuckDBPyConnection, deal_id: str, **kw) -> dict[str, dict[str, float]]:
    """model -> touchpoint_id -> credit, from the receipt."""
    r = attribution.receipt(con, deal_id, **kw)
    models = [m for m in attribution.RULE_MODELS if m in r.columns]
    return {m: dict(zip(r["touchpoint_id"], r[m], strict=True)) for m in models}


def positions(con: duckdb.DuckDBPyConnection, deal_id: str, **kw) -> dict[str, str]:
    r = attribution.receipt(con, deal_id, **kw)
    return dict(zip(r["touchpoint_id"], r["positions"], strict=True))


# --- small hand-built journeys ----------------------------------------------------


def test_one_touch_gets_all_credit_under_every_model(con):
    build_db(con, [("X1", "A1", midnight(10), midnight(20), "won", 100.0)], [("a", day(5), "A1", "email")])
    assert positions(con, "X1") == {"a": "FT+OC+CL"}
    for model, by_touch in credits(con, "X1").items():
        assert by_touch == {"a": approx(1.0)}, model


def test_two_touches_with_lc_and_oc_on_the_first(con):
    # a (day 0) is FT, and LC (lead created day 4) and OC (deal created day 7); b (day 9) is CL
    build_db(
        con,
        [("X2", "A1", midnight(7), midnight(20), "won", 100.0)],
        [("a", day(0), "A1", "ads"), ("b", day(9), "A1", "sales")],
        leads=[("L1", None, "A1", midnight(4))],
    )
    assert positions(con, "X2") == {"a": "FT+LC+OC", "b": "CL"}
    c = credits(con, "X2")
    expected = {
        "first_touch": (1, 0),
        "last_touch": (0, 1),
        "linear": (0.5, 0.5),
        "u_shaped": (0.8, 0.2),  # FT+LC 80, b is "other": 20
        "w_shaped": (0.9, 0.1),  # FT+LC+OC 90, other 10
        "full_path": (0.75, 0.25),  # 67.5 vs CL 22.5, no middle touch: / 90
        "position_40_20_40": (0.5, 0.5),  # no middle touch: 40 / 80 each
        "j_shaped": (0.25, 0.75),
        "inverse_j": (0.75, 0.25),
    }
    for model, (a, b) in expected.items():
        assert (c[model]["a"], c[model]["b"]) == (approx(a), approx(b)), model
    # 9 days apart with a 7-day half-life
    w = 2 ** (-9 / 7)
    assert c["time_decay"]["a"] == approx(w / (1 + w))
    assert c["time_decay"]["b"] == approx(1 / (1 + w))


def test_missing_lc_is_redistributed_over_the_present_slots(con):
    # no lead or contact at all: no LC. Deal created day 3: OC = b. CL = d; c is middle.
    build_db(con, [X3], X3_TOUCHES)
    assert positions(con, "X3") == {"a": "FT", "b": "OC", "c": "", "d": "CL"}
    c = credits(con, "X3")
    expected = {
        "u_shaped": (2 / 3, 1 / 9, 1 / 9, 1 / 9),  # FT 40 + others 20 (b, c, d) over 60
        "w_shaped": (3 / 7, 3 / 7, 1 / 14, 1 / 14),  # FT 30, OC 30, others 10 (c, d) over 70
        "full_path": (9 / 31, 9 / 31, 4 / 31, 9 / 31),  # 22.5 x3 + middle 10 over 77.5
        "position_40_20_40": (0.4, 0.1, 0.1, 0.4),
        "j_shaped": (0.2, 0.1, 0.1, 0.6),
        "inverse_j": (0.6, 0.1, 0.1, 0.2),
        "linear": (0.25, 0.25, 0.25, 0.25),
        "first_touch": (1, 0, 0, 0),
        "last_touch": (0, 0, 0, 1),
    }
    for model, values in expected.items():
        assert tuple(c[model][t] for t in "abcd") == approx(values), model


def test_touches_after_close_and_before_lookback_do_not_count(con):
    build_db(
        con,
        [("X4", "A1", midnight(200), midnight(220), "won", 100.0)],
        [
            ("old", day(10), "A1", "ads"),  # 190 days before creation: outside 180
            ("a", day(100), "A1", "email"),
            ("b", day(210), "A1", "sales"),
            ("late", day(221), "A1", "sales"),
        ],  # after the close
    )
    assert positions(con, "X4") == {"a": "FT+OC", "b": "CL"}
    assert positions(con, "X4", lookback_days=200) == {"old": "FT", "a": "OC", "b": "CL"}


def test_open_deal_closes_on_its_last_touch(con):
    build_db(
        con,
        [("X5", "A1", midnight(5), None, "open", 100.0)],
        [
            ("a", day(1), "A1", "ads"),
            ("b", day(8), "A1", "sales"),
            ("future", datetime(2199, 1, 1), "A1", "sales"),
        ],  # not yet happened: never counts
    )
    r = attribution.receipt(con, "X5")
    assert r["touchpoint_id"].tolist() == ["a", "b"]
    assert r["positions"].tolist() == ["FT+OC", "CL"]
    # an open deal's days before close count from its last touch
    assert r["days_before_close"].tolist() == approx([7.0, 0.0])
    assert r["last_touch"].tolist() == approx([0, 1])


def test_deal_without_touches_gets_a_no_touchpoint_row(con):
    build_db(con, [("X6", "A1", midnight(5), midnight(9), "won", 50.0)], [])
    r = attribution.receipt(con, "X6")
    assert len(r) == 1 and r["channel"].item() == "No touchpoint" and r["touchpoint_id"].isna().all()
    assert r[list(attribution.RULE_MODELS[:-1])].to_numpy().tolist() == [[1.0] * 10]
    out = attribution.rollup(con, "linear")
    assert out.to_dict("records") == [
        {
            "key": "No touchpoint",
            "attributed_wins": 1.0,
            "attributed_revenue_usd": 50.0,
            "attributed_pipeline_usd": 50.0,
        }
    ]


def test_equal_timestamps_are_ordered_by_touchpoint_id(con):
    build_db(
        con,
        [("X7", "A1", midnight(5), midnight(9), "won", 50.0)],
        [("T9", day(2), "A1", "sales"), ("T2", day(2), "A1", "ads")],
    )
    r = attribution.receipt(con, "X7")
    assert r["touchpoint_id"].tolist() == ["T2", "T9"]
    assert r["first_touch"].tolist() == [1.0, 0.0]
    assert r["last_touch"].tolist() == [0.0, 1.0]


def test_lc_and_touches_follow_the_scope(con):
    # K2 (not on the deal) created day 1, K1 (on the deal) created day 6
    build_db(
        con,
        [("X8", "A1", midnight(8), midnight(20), "won", 100.0)],
        [
            ("a", day(0), "A1", "ads", None, "K2"),
            ("b", day(5), "A1", "email", None, "K1"),
            ("c", day(10), "A1", "sales", None, "K1"),
        ],
        contacts=[("K1", "A1", midnight(6)), ("K2", "A1", midnight(1))],
        deal_contacts=[("X8", "K1")],
    )
    assert positions(con, "X8") == {"a": "FT+LC", "b": "OC", "c": "CL"}
    assert credits(con, "X8")["u_shaped"] == {"a": approx(0.8), "b": approx(0.1), "c": approx(0.1)}
    assert positions(con, "X8", scope="contact_roles") == {"b": "FT+LC+OC", "c": "CL"}
    assert credits(con, "X8", scope="contact_roles")["u_shaped"] == {"b": approx(0.8), "c": approx(0.2)}


def test_custom_weights_and_type_multipliers(con, tmp_path: Path):
    build_db(con, [X3], X3_TOUCHES)
    f = tmp_path / "w.toml"
    # LC is missing (dropped); OC weighs 0 so b is a middle touch; c's type counts triple
    f.write_text("[positions]\nFT = 1\nLC = 5\nCL = 1\nmiddle = 2\n\n[multipliers]\nwebinar_touch = 3\n")
    w = load_weights(f)
    # base: FT 1, CL 1, middle 2 over b and c -> 1/4 each; times (1, 1, 3, 1), renormalized
    c = credits(con, "X3", weights=w)["custom"]
    assert [c[t] for t in "abcd"] == approx([1 / 6, 1 / 6, 1 / 2, 1 / 6])
    g = tmp_path / "w.json"
    g.write_text('{"positions": {"lc": 1}}')
    # only LC weighs, and this deal has none: the deal falls back to an equal split
    assert list(credits(con, "X3", weights=g)["custom"].values()) == approx([0.25] * 4)
    assert attribution.describe("custom", weights=w) == (
        "11.11% FT, 55.56% LC, 11.11% CL, 22.22% middle; multipliers webinar_touch x3"
    )


def test_custom_weights_are_validated(tmp_path: Path):
    with pytest.raises(ValueError, match="Unknown position 'XX'"):
        CustomWeights.from_mapping({"positions": {"XX": 1}})
    with pytest.raises(ValueError, match="at least one position"):
        CustomWeights.from_mapping({"positions": {"FT": 0}})
    with pytest.raises(ValueError, match=">= 0"):
        CustomWeights.from_mapping({"positions": {"FT": 1}, "multipliers": {"ad_view": -1}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[positions\n")
    with pytest.raises(ValueError, match="Cannot read weights file"):
        load_weights(bad)


def test_api_rejects_bad_parameters(con):
    build_db(con, [], [])
    with pytest.raises(ValueError, match="Known models: first_touch, .*markov, shapley"):
        attribution.rollup(con, "nope")
    with pytest.raises(ValueError, match="Group by one of channel"):
        attribution.rollup(con, "linear", by="colour")
    with pytest.raises(ValueError, match="Scope must be one of"):
        attribution.rollup(con, "linear", scope="everyone")
    with pytest.raises(ValueError, match="half-life"):
        attribution.rollup(con, "time_decay", half_life_days=0)
    with pytest.raises(ValueError, match="order must be a whole number from 1 to 4"):
        attribution.rollup(con, "markov", order=5)
    with pytest.raises(ValueError, match="custom model needs weights"):
        attribution.rollup(con, "custom")
    with pytest.raises(ValueError, match="after it ends"):
        attribution.rollup(con, "linear", date_from="2026-02-01", date_to="2026-01-01")
    with pytest.raises(ValueError, match="No deal 'nope'"):
        attribution.receipt(con, "nope")


# --- the shared fixture (tests/fixture.py) ------------------------------------------


def test_receipt_query_on_fixture_deal_d01(fixture_con):
    r = api.wide_credit(
        db.run(
            fixture_con,
            "attribution_receipt",
            deal_id="D01",
            lookback_days=180,
            scope="account",
            half_life_days=7.0,
            **api.catalogue_params(CustomWeights(middle=1.0)),
        )
    )
    assert r["touchpoint_id"].tolist() == ["T01", "T02", "T03", "T04", "T05"]
    # FT ad click, LC the eBook (K01 created 2025-12-01 12:00), OC the webinar (last touch
    # before creation on 2026-01-05), CL the call; the meeting holds no position
    assert r["positions"].tolist() == ["FT", "LC", "OC", "", "CL"]
    assert r["u_shaped"].tolist() == approx([0.4, 0.4, 1 / 15, 1 / 15, 1 / 15])
    assert r["w_shaped"].tolist() == approx([0.3, 0.3, 0.3, 0.05, 0.05])
    assert r["full_path"].tolist() == approx([0.225, 0.225, 0.225, 0.1, 0.225])
    assert r["position_40_20_40"].tolist() == approx([0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4])
    assert r["campaign"].tolist()[:3] == ["Search - Brand", "ROI Guide eBook", "Q1 Webinar"]
    assert r["days_before_close"].tolist() == approx(
        [100 + 14 / 24, 70 + 14 / 24, 37 + 14 / 24, 20 + 14 / 24, 4 + 14 / 24]
    )


def test_fixture_deal_d04_without_lc_or_oc(fixture_con):
    # K05 was created in May 2025; the touches before it fall outside the lookback
    r = attribution.receipt(fixture_con, "D04")
    assert r["positions"].tolist() == ["FT", "CL"]
    assert r["u_shaped"].tolist() == approx([2 / 3, 1 / 3])
    assert r["w_shaped"].tolist() == approx([0.75, 0.25])
    assert r["full_path"].tolist() == approx([0.5, 0.5])


def test_a_receipt_of_a_deal_imported_without_dates_has_no_days_before_close(fixture_db):
    # D04's receipt as above, its days before close the days from each touch to its close; once D04
    # is marked as imported without dates (its dates a stand-in), those days are unknown, not 0
    con = duckdb.connect(str(fixture_db))
    try:
        dated = attribution.receipt(con, "D04")
        assert dated["days_before_close"].notna().all() and (dated["days_before_close"] > 0).all()
        con.execute("update deals set dates_unknown = true where deal_id = 'D04'")
        undated = attribution.receipt(con, "D04")
        assert undated["days_before_close"].isna().all()
        assert undated["positions"].tolist() == ["FT", "CL"]
        assert attribution.receipt(con, "D01")["days_before_close"].notna().all()
    finally:
        con.close()


def test_touch_credit_query_covers_every_deal(fixture_con):
    df = api.wide_credit(
        db.run(
            fixture_con,
            "attribution_touch_credit",
            lookback_days=180,
            scope="account",
            half_life_days=7.0,
            **api.catalogue_params(CustomWeights(middle=1.0)),
        )
    )
    assert sorted(df["deal_id"].unique()) == [f"D{i:02d}" for i in range(1, 13)]
    sums = df.groupby("deal_id")[list(attribution.RULE_MODELS)].sum()
    assert (sums - 1).abs().max().max() < 1e-12
    d06 = df[df["deal_id"] == "D06"]
    assert d06["touchpoint_id"].isna().all() and d06["channel"].tolist() == ["No touchpoint"]
    # D02's event (T09) is LC (K03 created an hour later), OC and CL at once
    assert df.set_index("touchpoint_id").loc["T09", "positions"] == "LC+OC+CL"


def test_rollup_query_on_fixture_q1(fixture_con):
    df = db.run(
        fixture_con,
        "attribution_rollup",
        by="channel",
        **filter_params(**Q1),
        half_life_days=7.0,
        **api.catalogue_params(CustomWeights(middle=1.0)),
    )
    assert set(df["model"]) == set(attribution.RULE_MODELS)
    totals = df.groupby("model")[attribution.ROLLUP_COLUMNS[1:]].sum()
    # 5 wins and 402,000 won in Q1; 420,000 created in Q1 (incl. open D10, D11 and lost D06)
    assert totals["attributed_wins"].tolist() == approx([5.0] * 11)
    assert totals["attributed_revenue_usd"].tolist() == approx([402_000.0] * 11)
    assert totals["attributed_pipeline_usd"].tolist() == approx([420_000.0] * 11)
    linear = df[df["model"] == "linear"].set_index("key")
    # sales: 2 of D01's 5 touches, both of D04's, 3 of D07's 7
    assert linear.loc["sales", "attributed_wins"] == approx(2 / 5 + 1 + 3 / 7)
    assert linear.loc["sales", "attributed_revenue_usd"] == approx(40_000 + 200_000 + 50_000 * 3 / 7)
    assert linear.loc["No touchpoint", "attributed_pipeline_usd"] == 8_000.0  # D06
    first = df[df["model"] == "first_touch"].set_index("key")["attributed_wins"]
    assert first[first > 0].to_dict() == {"paid_search": 2.0, "paid_social": 1.0, "sales": 1.0, "webinar": 1.0}


def test_rollup_keys_for_every_by(fixture_con):
    by_campaign = attribution.rollup(fixture_con, "first_touch", by="campaign", **Q1)
    assert by_campaign.set_index("key").loc["Search - Brand", "attributed_wins"] == 2.0
    assert "(no campaign)" in set(by_campaign["key"])  # D04's first touch is a sales meeting
    by_team = attribution.rollup(fixture_con, "linear", by="team", **Q1).set_index("key")
    assert by_team["attributed_wins"].sum() == approx(5.0)
    assert by_team.loc["sales", "attributed_wins"] == approx(2 / 5 + 1 + 3 / 7)
    by_asset = attribution.rollup(fixture_con, "last_touch", by="asset", **Q1).set_index("key")
    # D08 closes on the ROI Guide eBook; D02's last touch is the Summit booth
    assert by_asset.loc["ROI Guide", "attributed_wins"] == 1.0
    assert by_asset.loc["Summit booth", "attributed_wins"] == 1.0
    by_type = attribution.rollup(fixture_con, "last_touch", by="touchpoint_type", **Q1).set_index("key")
    assert by_type.loc["sales_meeting", "attributed_wins"] == 1.0  # D07
    assert list(by_campaign.columns) == attribution.ROLLUP_COLUMNS


def test_rollup_filters_narrow_the_deals(fixture_con):
    enterprise = attribution.rollup(fixture_con, "linear", segment="Enterprise", **Q1)
    # Enterprise won in Q1: D01 (A1), D04 (A4), D07 (A1)
    assert enterprise["attributed_revenue_usd"].sum() == approx(350_000.0)
    bob = attribution.rollup(fixture_con, "linear", owner="Bob", **Q1)
    assert bob["attributed_wins"].sum() == approx(2.0)  # D02, D08
    everything = attribution.rollup(fixture_con, "linear")
    # all time: 6 wins (incl. D12 in Q4 2025), every deal's amount as pipeline
    assert everything["attributed_wins"].sum() == approx(6.0)
    assert everything["attributed_pipeline_usd"].sum() == approx(654_000.0)


def test_compare_models_ranks_each_key(fixture_con):
    cmp = attribution.compare_models(fixture_con, by="channel", measure="wins", **Q1)
    assert list(cmp["key"])[-1] == "No touchpoint"
    row = cmp.set_index("key").loc["paid_search"]
    assert row["first_touch"] == 2.0 and row["rank_first_touch"] == 1
    assert row["last_touch"] == 0.0 and row["rank_last_touch"] == 4  # tied after sales, content, event
    ranks = [c for c in cmp.columns if c.startswith("rank_") and c != "rank_spread"]
    assert row["rank_spread"] == row[ranks].max() - row[ranks].min()
    for model in ["linear", "markov", "shapley", "shapley_conversions"]:
        assert cmp[model].sum() == approx(5.0)
    assert "custom" not in cmp.columns
    pipeline = attribution.compare_models(fixture_con, measure="pipeline", **Q1)
    assert "markov" not in pipeline.columns and pipeline["linear"].sum() == approx(420_000.0)
    with pytest.raises(ValueError, match="no pipeline figure"):
        attribution.compare_models(fixture_con, measure="pipeline", models=["markov"])


def test_catalogue_shows_exact_weights():
    cat = attribution.model_catalogue(half_life_days=3.5, order=2).set_index("model")
    assert cat.loc["u_shaped", "weights"] == "40% FT, 40% LC, 20% split over the other touches"
    assert cat.loc["full_path", "weights"].startswith("22.5% each FT, LC, OC, CL")
    assert "half-life 3.5 days" in cat.loc["time_decay", "weights"]
    assert "order-2" in cat.loc["markov", "weights"]
    w = CustomWeights(ft=3, cl=1, multipliers={"sales_call": 2})
    assert attribution.describe("custom", weights=w) == "75% FT, 25% CL; multipliers sales_call x2"


def test_open_deal_counts_recent_touches_in_any_session_time_zone(con):
    # timestamps are naive UTC; a session in California must not push "now" 8 hours back
    now = con.execute("select timezone('UTC', current_timestamp)").fetchone()[0]
    build_db(
        con,
        [("X9", "A1", now - timedelta(days=2), None, "open", 10.0)],
        [("a", now - timedelta(days=1), "A1", "ads"), ("b", now - timedelta(hours=3), "A1", "sales")],
    )
    con.execute("set global TimeZone = 'America/Los_Angeles'")
    assert attribution.receipt(con, "X9")["touchpoint_id"].tolist() == ["a", "b"]
