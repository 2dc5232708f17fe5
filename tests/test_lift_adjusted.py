"""Win-rate lift adjusted for the account (queries/lift_strata*.sql, closedloop/engine/lift_adjusted.py).

The Cochran-Mantel-Haenszel figures are checked against the worked example of R's
`mantelhaen.test` documentation (stats package, "Penicillin and Rabbits", from Agresti (1990)
Categorical Data Analysis pp. 231-237, after Cochran (1954)): five strata (penicillin levels
1/8, 1/4, 1/2, 1, 4), immediate vs 1.5 h delayed injection, cured vs died. R documents
"Mantel-Haenszel X-squared = 3.9286, df = 1, p-value = 0.04747", common odds ratio 7 and
95% interval 1.026713 to 47.725133. As deals: a stratum is a segment, immediate injection is a
webinar touch, cured is won.

Per stratum (touched won a, touched lost b, not touched won c, not touched lost d; n deals):

    1/8   a=0 b=6 c=0 d=5  n=11   ad/n = 0     bc/n = 0     E(a) = 6*0/11 = 0    var = 0
    1/4   a=3 b=3 c=0 d=6  n=12   ad/n = 1.5   bc/n = 0     E(a) = 6*3/12 = 1.5  var = 6*6*3*9/(144*11)
    1/2   a=6 b=0 c=2 d=4  n=12   ad/n = 2     bc/n = 0     E(a) = 6*8/12 = 4    var = 6*6*8*4/(144*11)
    1     a=5 b=1 c=6 d=0  n=12   ad/n = 0     bc/n = 0.5   E(a) = 6*11/12 = 5.5 var = 6*6*11*1/(144*11)
    4     a=2 b=0 c=5 d=0  n=7    ad/n = 0     bc/n = 0     E(a) = 2             var = 0

Mantel-Haenszel odds ratio = 3.5 / 0.5 = 7. CMH statistic with continuity correction:
(|16 - 13| - 0.5)^2 / (972 + 1152 + 396)/1584 = 6.25 / 1.590909 = 3.928571.
The collapsed (raw) table: touched 16 won 10 lost, not touched 13 won 15 lost: odds ratio
16*15 / (10*13) = 1.846154.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers import run_page

from closedloop import db
from closedloop.engine import lift
from closedloop.engine import lift_adjusted as la

Q1 = ("2026-01-01", "2026-03-31")

RABBITS = {  # stratum: (a, b, c, d)
    "1/8": (0, 6, 0, 5),
    "1/4": (3, 3, 0, 6),
    "1/2": (6, 0, 2, 4),
    "1": (5, 1, 6, 0),
    "4": (2, 0, 5, 0),
}


def build(path: Path, deals: list[tuple[str, str, float, bool, bool]]) -> Path:
    """A database of one account per deal: (segment, region, amount, touched by a webinar, won).
    Every deal is created 2026-01-10 and closed 2026-02-20; a touched deal has a webinar_attended
    touch on 2026-01-20, an untouched one an ad_view on the same day."""
    con = duckdb.connect(str(path))
    db.create_schema(con)
    created, closed, at = datetime(2026, 1, 10), datetime(2026, 2, 20), datetime(2026, 1, 20, 10)
    for i, (segment, region, amount, touched, won) in enumerate(deals):
        a, d = f"A{i:03d}", f"D{i:03d}"
        con.execute("insert into accounts values (?, ?, 'Software', ?, ?, 100)", [a, a, segment, region])
        kind = ("webinar", "webinar_attended") if touched else ("paid_social", "ad_view")
        con.execute(
            "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
            "touchpoint_type, campaign_id, asset) values (?, ?, ?, null, 'marketing', ?, ?, null, null)",
            [f"T{i:03d}", at + timedelta(minutes=i), a, *kind],
        )
        con.execute(
            "insert into deals (deal_id, account_id, name, owner, created_at, closed_at, stage, outcome, amount) "
            "values (?, ?, ?, 'Ann', ?, ?, ?, ?, ?)",
            [d, a, d, created, closed, "closed_won" if won else "closed_lost", "won" if won else "lost", amount],
        )
    con.close()
    return path


def strata_deals(strata: dict[str, tuple[int, int, int, int]], region: str = "NA", amount: float = 50_000):
    out = []
    for segment, (a, b, c, d) in strata.items():
        out += [(segment, region, amount, True, True)] * a + [(segment, region, amount, True, False)] * b
        out += [(segment, region, amount, False, True)] * c + [(segment, region, amount, False, False)] * d
    return out


@pytest.fixture
def rabbits(tmp_path: Path):
    con = db.connect(build(tmp_path / "rabbits.duckdb", strata_deals(RABBITS)))
    yield con
    con.close()


def row(result: la.AdjustedLift, key: str) -> dict:
    return result.table.set_index("key").loc[key].to_dict()


def test_rabbits_against_r_documentation(rabbits) -> None:
    r = row(la.adjusted_lift(rabbits, *Q1), "webinar_attended")
    assert r["odds_ratio_adjusted"] == pytest.approx(7.0)
    # R: 95 percent confidence interval 1.026713 47.725133
    assert r["odds_ratio_adjusted_low95"] == pytest.approx(1.026713, abs=1e-6)
    assert r["odds_ratio_adjusted_high95"] == pytest.approx(47.725133, abs=1e-6)
    # R: X-squared = 3.9286 (hand: 6.25 / 1.590909), p-value = 0.04747
    assert r["cmh_p_value"] == pytest.approx(0.04747, abs=5e-6)
    from scipy.stats import chi2

    assert chi2.isf(r["cmh_p_value"], 1) == pytest.approx(6.25 / (2520 / 1584))
    # the collapsed table: 16 won / 10 lost touched, 13 / 15 not touched
    assert (r["deals_touched_won"], r["deals_touched_lost"]) == (16, 10)
    assert (r["deals_not_touched_won"], r["deals_not_touched_lost"]) == (13, 15)
    assert r["odds_ratio_raw"] == pytest.approx(16 * 15 / (10 * 13))
    assert r["win_rate_diff"] == pytest.approx(16 / 26 - 13 / 28)
    # strata 1/8 and 4 have deals on both sides too (only their odds ratios are undefined)
    assert r["strata_used"] == 5
    assert r["deals_in_strata_used"] == 54
    # smaller side per stratum: min(6, 5), min(6, 6), min(6, 6), min(6, 6), min(2, 5) -> 25 / 5
    assert r["smaller_side_per_stratum"] == pytest.approx(5.0)
    assert not r["thin"]
    # the raw odds ratio (1.85) understates the pooled one (7): the strata sharpen the lift
    assert r["share_explained"] == pytest.approx(1 - math.log(7) / math.log(240 / 130))
    assert "clearer than the raw figure" in r["sentence"]


def test_lift_explained_by_segment(tmp_path: Path) -> None:
    """Enterprise: touched 32 won 8 lost, not touched 16 won 4 lost (odds ratio 1); SMB: touched 4 won
    16 lost, not touched 8 won 32 lost (odds ratio 1). Raw: 36/60 vs 24/60 won, odds ratio
    36*36 / (24*24) = 2.25, 95% interval exp(log 2.25 +- 1.96 sqrt(1/36 + 1/24 + 1/24 + 1/36)) =
    1.083 to 4.674 (excludes 1); pooled: (32*4/60 + 4*32/60) / (8*16/60 + 16*8/60) = 1."""
    deals = strata_deals({"Enterprise": (32, 8, 16, 4), "SMB": (4, 16, 8, 32)})
    con = db.connect(build(tmp_path / "conf.duckdb", deals))
    try:
        res = la.adjusted_lift(con, *Q1)
    finally:
        con.close()
    r = row(res, "webinar_attended")
    assert r["win_rate_diff"] == pytest.approx(0.2)
    assert r["odds_ratio_raw"] == pytest.approx(2.25)
    assert r["odds_ratio_raw_low95"] == pytest.approx(math.exp(math.log(2.25) - 1.959964 * math.sqrt(5 / 36)))
    assert r["odds_ratio_raw_high95"] == pytest.approx(math.exp(math.log(2.25) + 1.959964 * math.sqrt(5 / 36)))
    assert r["odds_ratio_adjusted"] == pytest.approx(1.0)
    assert r["share_explained"] == pytest.approx(1.0)
    assert r["reaches"] == "Enterprise accounts"
    assert r["sentence"].startswith("Most of webinar_attended's lift is that webinar_attended reaches Enterprise")
    # ad_view touched exactly the other deals: the mirror image, the same story
    v = row(res, "ad_view")
    assert v["odds_ratio_adjusted"] == pytest.approx(1.0)
    assert v["sentence"].startswith("Most of ad_view's lower win rate is")
    assert (res.deals_won, res.deals_lost) == (60, 60)


def test_deal_size_band_and_region_split_strata(tmp_path: Path) -> None:
    """The same segment in two regions and two size bands is four strata."""
    deals = (
        strata_deals({"SMB": (1, 1, 1, 1)}, region="NA", amount=10_000)
        + strata_deals({"SMB": (2, 0, 0, 2)}, region="NA", amount=200_000)
        + strata_deals({"SMB": (1, 0, 0, 0)}, region="EMEA", amount=10_000)
    )
    con = db.connect(build(tmp_path / "bands.duckdb", deals))
    try:
        res = la.adjusted_lift(con, *Q1)
    finally:
        con.close()
    s = res.strata[res.strata["key"] == "webinar_attended"].sort_values(["region", "size_band"])
    assert s[
        ["region", "size_band_label", "touched_won", "touched_lost", "not_touched_won", "not_touched_lost"]
    ].values.tolist() == [
        ["EMEA", "under $25k", 1, 0, 0, 0],
        ["NA", "under $25k", 1, 1, 1, 1],
        ["NA", "$100k and over", 2, 0, 0, 2],
    ]
    r = row(res, "webinar_attended")
    # EMEA has no untouched deal: two strata used, 4 + 4 deals, smaller sides 2 and 2
    assert (r["strata_used"], r["deals_in_strata_used"], r["smaller_side_per_stratum"]) == (2, 8, 2.0)
    assert r["thin"]  # fewer than MIN_DEALS_PER_STRATUM on the smaller side
    # MH: (1*1/4 + 2*2/4) / (1*1/4 + 0) = 1.25 / 0.25 = 5
    assert r["odds_ratio_adjusted"] == pytest.approx(5.0)


def test_fixture_counts_by_hand(fixture_con) -> None:
    """tests/fixture.py, Q1 2026, band edges 25k / 100k: webinar_attended touched D01 (Enterprise NA,
    100,000: band 2), D07 (Enterprise NA, 50,000: band 1) and D08 (SMB NA, 12,000: band 0), all won.
    Only SMB NA under $25k also holds an untouched deal (D03, lost): one stratum used."""
    res = la.adjusted_lift(fixture_con, *Q1)
    s = res.strata[res.strata["key"] == "webinar_attended"]
    assert sorted(zip(s["segment"], s["size_band"], s["touched_won"], s["touched_lost"], strict=True)) == [
        ("Enterprise", 1, 1, 0),
        ("Enterprise", 2, 1, 0),
        ("SMB", 0, 1, 0),
    ]
    r = row(res, "webinar_attended")
    assert (r["strata_used"], r["deals_in_strata_used"]) == (1, 2)
    assert r["thin"]
    assert (res.deals_won, res.deals_lost) == (5, 3)


def test_strata_add_up_to_the_raw_lift(fixture_con) -> None:
    """Property: summed over strata, the touched counts are touchpoint_lift's, for every dimension."""
    for dim in lift.DIMENSIONS:
        raw = lift.touchpoint_lift(fixture_con, *Q1, dimension=dim).set_index("key")
        adj = la.adjusted_lift(fixture_con, *Q1, dimension=dim).table.set_index("key")
        cols = ["deals_touched_won", "deals_touched_lost", "deals_not_touched_won", "deals_not_touched_lost"]
        assert adj[cols].sort_index().equals(raw[cols].sort_index()), dim


def test_empty_period_and_bad_edges(fixture_con) -> None:
    res = la.adjusted_lift(fixture_con, "2030-01-01", "2030-03-31")
    assert res.empty and (res.deals_won, res.deals_lost) == (0, 0)
    with pytest.raises(ValueError, match="increasing"):
        la.adjusted_lift(fixture_con, *Q1, band_edges=(100_000, 25_000))


def test_band_labels() -> None:
    assert la.band_labels((25_000, 100_000)) == ["under $25k", "$25k–$100k", "$100k and over"]
    assert la.band_labels((1_000_000,)) == ["under $1M", "$1M and over"]


def test_sample_plants_a_lift_explained_by_segment(tmp_path: Path) -> None:
    """docs/sample.md: review-site visits reach most SMB deals (which win more often) and few others,
    whatever the outcome, so their raw lift is real but within segment it vanishes."""
    from closedloop import sample

    path = tmp_path / "sample.duckdb"
    sample.generate(path, deals=2000, seed=42, progress=False)
    con = db.connect(path)
    try:
        res = la.adjusted_lift(con, "2020-01-01", "2030-12-31", dimension="channel")
    finally:
        con.close()
    r = row(res, "review_sites")
    assert r["odds_ratio_raw_low95"] > 1.2  # a clear raw lift
    assert r["odds_ratio_adjusted_low95"] < 1 < r["odds_ratio_adjusted_high95"]  # none within strata
    assert r["share_explained"] > la.PARTLY_EXPLAINED
    assert "review_sites's lift is that review_sites reaches SMB accounts" in r["sentence"]
    # a planted win signal keeps its lift within strata: no sentence
    w = row(res, "webinar")
    assert w["odds_ratio_adjusted_low95"] > 1.5 and w["sentence"] == ""


# --- the Touchpoint lift page's "Adjusted for the account" section -----------------------------


def _lift_page(**params: str):
    return run_page("views/lift.py", **params)


def test_lift_page_adjusted_section_on_the_fixture(app_db) -> None:
    at = _lift_page(quarter="2026Q1")
    assert not at.exception, [e.value for e in at.exception]
    assert "Adjusted for the account: is it the touch, or who it reaches?" in [s.value for s in at.subheader]
    adjusted = at.dataframe[1].value.set_index("key")
    # the raw counts are the raw table's; webinar_attended: one stratum compared (SMB NA under $25k)
    assert adjusted.loc["webinar_attended", ["deals_touched_won", "strata_used", "deals_in_strata_used"]].tolist() == [
        3,
        1,
        2,
    ]
    assert adjusted["thin"].all()  # eight deals: every key is faint
    assert any("Few deals per stratum" in c.value or "Faint" in c.value for c in at.caption)


def test_lift_page_adjusted_section_states_the_disagreement(tmp_path: Path, monkeypatch) -> None:
    deals = strata_deals({"Enterprise": (32, 8, 16, 4), "SMB": (4, 16, 8, 32)})
    monkeypatch.setenv("CLOSEDLOOP_DB", str(build(tmp_path / "conf.duckdb", deals)))
    at = _lift_page(quarter="2026Q1")
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "Most of webinar\\_attended's lift is that webinar\\_attended reaches Enterprise accounts" in text


def test_lift_page_adjusted_section_empty(app_db) -> None:
    at = _lift_page(quarter="2026Q1", segment="SMB", region="EMEA")
    # the raw section already says there is nothing to compare and stops
    assert not at.exception and "No deal closed in this period (1 closed)" in at.info[0].value


def test_meeting_pack_states_the_disagreement(tmp_path: Path) -> None:
    from datetime import date

    from closedloop.filters import Filters
    from closedloop.meeting import report

    deals = strata_deals({"Enterprise": (32, 8, 16, 4), "SMB": (4, 16, 8, 32)})
    con = db.connect(build(tmp_path / "conf.duckdb", deals))
    try:
        pack = report.build_pack(con, filters=Filters(date(2026, 1, 1), date(2026, 3, 31)), max_deal_pages=0)
    finally:
        con.close()
    assert pack.lift_adjusted_notes[0].startswith("Adjusted for the account")
    assert any("reaches Enterprise accounts" in n for n in pack.lift_adjusted_notes)
    assert "webinar_attended&#x27;s lift is that webinar_attended reaches Enterprise accounts" in report.render_html(
        pack
    )


def test_meeting_pack_leaves_out_thin_keys(fixture_con) -> None:
    from datetime import date

    from closedloop.filters import Filters
    from closedloop.meeting import report

    pack = report.build_pack(fixture_con, filters=Filters(date(2026, 1, 1), date(2026, 3, 31)), max_deal_pages=0)
    assert pack.lift_adjusted_notes == []  # every key of the fixture is thin


def test_the_adjusted_lift_reads_its_two_questions(fixture_con, monkeypatch) -> None:
    """The strata come from queries/lift_strata.sql (touched) and lift_strata_deals.sql (every deal)."""
    asked: list[str] = []
    real = db.run
    monkeypatch.setattr(db, "run", lambda con, name, **p: asked.append(name) or real(con, name, **p))
    la.adjusted_lift(fixture_con, *Q1)
    assert {"lift_strata", "lift_strata_deals"} <= set(asked)
