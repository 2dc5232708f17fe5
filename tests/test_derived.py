"""The one engine (closedloop/engine/journey_tables.py, queries/macros.sql `journeys`): the stored journey
tables serve every lookback 0..730 and both scopes with figures worked out by hand and equal
to the pandas baseline; any write that bypasses them is seen (their figures follow the data);
degenerate databases take the same path."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import fixture
import numpy as np
import pytest
from helpers import filter_params, generated_sample
from pytest import approx
from sqlglot import exp

from bench import pandas_baseline
from closedloop import cli, db
from closedloop.engine import journey_tables as derived
from closedloop.engine import lift
from closedloop.engine.attribution import api
from closedloop.engine.attribution.models import RULE_MODELS

Q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_sample(tmp_path_factory, "derived", deals=400, seed=11)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture with its journey tables stored."""
    path = fixture.build(tmp_path_factory.mktemp("derived") / "fixture.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    con.close()
    return path


@pytest.fixture(params=["stored", "not built"])
def fixture_any(request, stored: Path, tmp_path: Path):
    """The fixture with stored journey tables, and without (the engine computes them as it goes)."""
    path = stored if request.param == "stored" else fixture.build(tmp_path / "f.duckdb")
    con = db.connect(path)
    assert derived.current(con) == (request.param == "stored")
    yield con
    con.close()


def credit(con, deal_id: str, model: str, **kw) -> dict[str, float]:
    r = api.receipt(con, deal_id, **kw)
    return dict(zip(r["touchpoint_id"], r[model], strict=True))


def positions(con, deal_id: str, **kw) -> dict[str, str]:
    r = api.receipt(con, deal_id, **kw)
    return dict(zip(r["touchpoint_id"], r["positions"], strict=True))


# --- any lookback and either scope, by hand (tests/fixture.py) -----------------------------


def test_longer_lookbacks_bring_older_touches_and_their_positions(fixture_any):
    con = fixture_any
    # D04 (created 2025-12-01): T14 is 194.6 days older, T15 189.6 days; K05 was created
    # 2025-05-25 12:00, just after T15, so T15 becomes LC; it is also the last touch before creation (OC)
    assert positions(con, "D04") == {"T16": "FT", "T17": "CL"}
    assert positions(con, "D04", lookback_days=189) == {"T16": "FT", "T17": "CL"}
    assert positions(con, "D04", lookback_days=190) == {"T15": "FT+LC+OC", "T16": "", "T17": "CL"}
    assert positions(con, "D04", lookback_days=195) == {"T14": "FT", "T15": "LC+OC", "T16": "", "T17": "CL"}
    assert credit(con, "D04", "u_shaped", lookback_days=190) == approx({"T15": 0.8, "T16": 0.1, "T17": 0.1})
    assert credit(con, "D04", "w_shaped", lookback_days=190) == approx({"T15": 0.9, "T16": 0.05, "T17": 0.05})
    assert credit(con, "D04", "full_path", lookback_days=190) == approx({"T15": 0.675, "T16": 0.1, "T17": 0.225})
    assert credit(con, "D04", "u_shaped", lookback_days=195) == approx({"T14": 0.4, "T15": 0.4, "T16": 0.1, "T17": 0.1})
    assert credit(con, "D04", "w_shaped", lookback_days=730) == approx(
        {"T14": 0.3, "T15": 0.6, "T16": 0.05, "T17": 0.05}
    )
    assert credit(con, "D04", "full_path", lookback_days=730) == approx(
        {"T14": 0.225, "T15": 0.45, "T16": 0.1, "T17": 0.225}
    )
    # lookback 0: only touches from the creation on; D01 (created 2026-01-05) keeps T04, T05
    assert positions(con, "D01", lookback_days=0) == {"T04": "FT", "T05": "CL"}


def test_contact_roles_take_only_the_deal_contacts_touches(fixture_any):
    con = fixture_any
    # D01's contacts K01, K02: T01 (no contact) is out; K01's creation (2025-12-01 12:00) makes T02 LC
    assert positions(con, "D01", scope="contact_roles") == {"T02": "FT+LC", "T03": "OC", "T04": "", "T05": "CL"}
    assert credit(con, "D01", "u_shaped", scope="contact_roles") == approx(
        {"T02": 0.8, "T03": 0.2 / 3, "T04": 0.2 / 3, "T05": 0.2 / 3}
    )
    assert credit(con, "D01", "w_shaped", scope="contact_roles") == approx(
        {"T02": 0.6, "T03": 0.3, "T04": 0.05, "T05": 0.05}
    )
    # the roll-up: D02's T08 (no contact) is out, so D02's first touch is its event
    # D01 and D07 start with K01's eBook, D04 with K05's meeting (T14, T15 are older than 180 days)
    first = api.rollup(con, "first_touch", scope="contact_roles", **Q1).set_index("key")["attributed_wins"]
    assert first[first > 0].to_dict() == {"content": 2.0, "event": 1.0, "sales": 1.0, "webinar": 1.0}


def test_the_fixture_roll_ups_hold(fixture_any):
    # worked out by hand in tests/fixture.py
    con = fixture_any
    first = api.rollup(con, "first_touch", **Q1).set_index("key")["attributed_wins"]
    linear = api.rollup(con, "linear", by="team", **Q1).set_index("key")
    assert first[first > 0].to_dict() == {"paid_search": 2.0, "paid_social": 1.0, "sales": 1.0, "webinar": 1.0}
    # sales: 2 of D01's 5 touches, both of D04's, 3 of D07's 7
    assert linear.loc["sales", "attributed_wins"] == approx(2 / 5 + 1 + 3 / 7)
    assert linear.loc["sales", "attributed_revenue_usd"] == approx(40_000 + 200_000 + 50_000 * 3 / 7)
    assert linear["attributed_pipeline_usd"].sum() == approx(420_000.0)
    assert api.rollup(con, "linear", segment="Enterprise", **Q1)["attributed_revenue_usd"].sum() == approx(350_000)
    assert api.rollup(con, "linear", owner="Bob", **Q1)["attributed_wins"].sum() == approx(2.0)
    assert api.rollup(con, "linear")["attributed_pipeline_usd"].sum() == approx(654_000.0)


def test_lookbacks_outside_0_to_730_are_refused(fixture_con):
    with pytest.raises(ValueError, match="0 to 730"):
        api.rollup(fixture_con, "linear", lookback_days=731)
    with pytest.raises(ValueError, match="0 to 730"):
        lift.touchpoint_lift(fixture_con, "2026-01-01", "2026-03-31", lookback_days=1000)


# --- the pandas baseline (bench/pandas_baseline.py) at several settings ---------------------


@pytest.mark.parametrize(("lookback", "half_life"), [(0, 7.0), (90, 7.0), (180, 2.5), (365, 7.0), (730, 30.0)])
def test_every_rule_model_equals_the_pandas_baseline(sample_db, lookback, half_life):
    con = db.connect(sample_db)
    try:
        assert derived.current(con)
        engine = db.run(
            con,
            "attribution_rollup",
            by="channel",
            half_life_days=half_life,
            **filter_params(lookback_days=lookback),
            **api.catalogue_params(),
        )
        baseline = pandas_baseline.rollup(con, lookback_days=lookback, half_life_days=half_life)
    finally:
        con.close()
    engine = engine[engine["model"] != "custom"].set_index(["model", "key"]).sort_index()
    baseline = baseline.set_index(["model", "key"]).sort_index()
    assert list(baseline.index) == list(engine.index)
    for column in ("attributed_wins", "attributed_revenue_usd", "attributed_pipeline_usd"):
        np.testing.assert_allclose(baseline[column], engine[column], rtol=1e-9, atol=1e-6, err_msg=column)


@pytest.mark.parametrize("kw", [{}, {"lookback_days": 45}, {"scope": "contact_roles", "lookback_days": 400}])
def test_stored_and_computed_journeys_are_the_same_on_a_sample(sample_db, tmp_path, kw):
    # the stored tables against the same macros run on the source tables (a copy never built)
    con = db.connect(sample_db)
    copy = tmp_path / "copy.duckdb"
    try:
        fresh = duckdb.connect(str(copy))
        fresh.execute("attach $path as src (read_only)", {"path": str(sample_db)})
        fresh.execute("copy from database src to " + fresh.execute("select current_database()").fetchone()[0])
        fresh.execute("drop table cl_touch")
        fresh.close()
        other = db.connect(copy)
        assert derived.current(con) and not derived.current(other)
        for by in ("channel", "campaign"):
            a = api.rollups(con, by=by, date_from="2025-10-01", **kw)
            b = api.rollups(other, by=by, date_from="2025-10-01", **kw)
            for model in a:
                np.testing.assert_allclose(a[model]["attributed_wins"], b[model]["attributed_wins"], atol=1e-9)
                assert list(a[model]["key"]) == list(b[model]["key"])
        a = lift.touchpoint_lift(con, "2025-01-01", "2026-12-31", "channel", **kw)
        b = lift.touchpoint_lift(other, "2025-01-01", "2026-12-31", "channel", **kw)
        assert a.equals(b)
        other.close()
    finally:
        con.close()


def test_a_build_in_slices_of_deals_stores_what_one_pass_does(sample_db, tmp_path, monkeypatch):
    # refresh builds cl_touch SLICE_DEALS deals at a time (500,000: its memory is one slice's); a
    # build in slices of 7 deals (58 slices and 2 scopes here) stores the same rows
    copy = tmp_path / "sliced.duckdb"
    copy.write_bytes(sample_db.read_bytes())
    con = duckdb.connect(str(copy))
    at = datetime(2026, 10, 1)
    derived.refresh(con, now=at)
    whole = con.execute("select * exclude (decay_share), round(decay_share, 12) from cl_touch order by all").fetchall()
    monkeypatch.setattr(derived, "SLICE_DEALS", 7)
    derived.refresh(con, now=at)
    sliced = con.execute("select * exclude (decay_share), round(decay_share, 12) from cl_touch order by all").fetchall()
    assert len(whole) > 4000
    assert sliced == whole
    con.close()


def test_markov_histories_are_masked_to_the_window(fixture_any):
    # D04 at lookback 195: sales, sales after content, website before; at 180 only sales > sales
    con = fixture_any
    short = api.markov_transitions(con, order=2, lookback_days=180, date_from="2026-03-15", date_to="2026-03-15")
    long = api.markov_transitions(con, order=2, lookback_days=195, date_from="2026-03-15", date_to="2026-03-15")

    def as_set(df):
        return {
            (tuple(f), None if t is None else tuple(t), a if isinstance(a, str) else None, n)
            for f, t, a, n in df.itertuples(index=False)
        }

    assert as_set(short) == {
        ((), ("sales",), None, 1),
        (("sales",), ("sales", "sales"), None, 1),
        (("sales", "sales"), None, "conversion", 1),
    }
    assert as_set(long) == {
        ((), ("content",), None, 1),
        (("content",), ("content", "website"), None, 1),
        (("content", "website"), ("website", "sales"), None, 1),
        (("website", "sales"), ("sales", "sales"), None, 1),
        (("sales", "sales"), None, "conversion", 1),
    }


# --- nothing stored can disagree with the source tables ------------------------------------


def _attribute_csv(path: Path, capsys, *args: str) -> list[dict[str, str]]:
    assert cli.main(["attribute", "--db", str(path), *args]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_plain_sql_writes_are_followed_by_every_question(tmp_path, capsys):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    con.close()
    with duckdb.connect(str(path)) as con:
        con.execute("update campaigns set name = 'Winter Webinar' where campaign_id = 'C3'")
        con.execute("update accounts set name = 'Acme Inc' where account_id = 'A1'")
        con.execute("update deals set outcome = 'won', stage = 'closed_won' where deal_id = 'D03'")
        con.execute("update touchpoints set channel = 'display' where touchpoint_id = 'T19'")
    con = db.connect(path)
    try:
        assert not derived.current(con)  # the stored tables are stale: computed as the queries go
        campaigns = set(api.rollup(con, "linear", by="campaign")["key"])
        assert "Winter Webinar" in campaigns and "Q1 Webinar" not in campaigns
        # D03 won now: 6 wins in Q1 under every model
        for model, df in api.rollups(con, **Q1).items():
            assert df["attributed_wins"].sum() == approx(6.0), model
        channels = set(api.rollup(con, "first_touch", **Q1)["key"])
        assert "display" in channels
        assert "display" in set(api.rollup(con, "markov", **Q1)["key"])
        assert api.receipt(con, "D05")["channel"].tolist()[0] == "display"
        assert "Winter Webinar" in api.receipt(con, "D08")["campaign"].tolist()
        by_campaign = lift.touchpoint_lift(con, "2026-01-01", "2026-03-31", "campaign").set_index("key")
        assert by_campaign.loc["C3", "label"] == "Winter Webinar"
        by_channel = lift.touchpoint_lift(con, "2026-01-01", "2026-03-31", "channel").set_index("key")
        assert "display" in by_channel.index
        assert int(by_channel["deals_touched_won"].max()) <= 6
        from closedloop.pages import deal_explorer as deals

        assert deals.deal_header(con, "D01")["account_name"] == "Acme Inc"
    finally:
        con.close()
    rows = _attribute_csv(path, capsys, "--model", "first_touch", "--from", "2026-01-01", "--to", "2026-03-31")
    assert "display" in {r["key"] for r in rows}
    assert sum(float(r["attributed_wins"]) for r in rows) == approx(6.0)
    # refresh stores them again, with the same figures
    assert cli.main(["refresh", "--db", str(path)]) == 0
    capsys.readouterr()
    con = db.connect(path)
    try:
        assert derived.current(con)
        assert "display" in set(api.rollup(con, "first_touch", **Q1)["key"])
        assert "Winter Webinar" in set(api.rollup(con, "linear", by="campaign")["key"])
        con_w = None
    finally:
        con.close()
    # a rename after the build needs no rebuild: names are read at query time
    with duckdb.connect(str(path)) as w:
        w.execute("update campaigns set name = 'Spring Webinar' where campaign_id = 'C3'")
        con_w = derived.current(w)
    assert con_w
    con = db.connect(path)
    try:
        assert "Spring Webinar" in set(api.rollup(con, "linear", by="campaign")["key"])
    finally:
        con.close()


def test_a_touch_dated_after_the_build_makes_them_stale(tmp_path):
    # an open deal's window runs up to "now": a touch dated later joins it later
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    latest = con.execute("select max(occurred_at) from touchpoints").fetchone()[0]
    derived.refresh(con, now=latest - timedelta(days=1))
    assert not derived.current(con)
    derived.refresh(con, now=datetime(2100, 1, 1))
    assert derived.current(con)
    con.close()


def test_tables_of_another_build_version_are_not_used(tmp_path):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    assert derived.meta(con)["build"] == derived.build_version()
    con.execute("update cl_meta set value = 'older' where key = 'build'")
    assert not derived.current(con)
    con.close()


def test_refresh_command_stores_both_scopes_at_the_longest_lookback(tmp_path, capsys):
    path = fixture.build(tmp_path / "f.duckdb")
    assert cli.main(["refresh", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Rebuilt the derived tables" in out
    con = db.connect(path)
    try:
        assert derived.current(con)
        stored = dict(con.execute("select scope, count(*) from cl_touch group by scope").fetchall())
        con.execute(db.macros_used_by("select * from deal_touches(0, '')"))
        pairs = {
            scope: con.execute(
                "select count(*) from deal_touches($lookback, $scope)",
                {"lookback": derived.MAX_LOOKBACK_DAYS, "scope": scope},
            ).fetchall()[0][0]
            for scope in ("account", "contact_roles")
        }
        assert derived.status(con).set_index("key")["value"]["max_lookback_days"] == "730"
    finally:
        con.close()
    assert stored == pairs
    assert cli.main(["refresh", "--db", str(path), "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_stored_touch_table_has_the_columns_journey_rows_gives(tmp_path):
    # queries/derived_build.sql declares cl_touch's columns (to store touchpoint_id uncompressed)
    # and inserts journey_rows' by name: a column dropped from the macro would be stored null
    path = fixture.build(tmp_path / "f.duckdb")
    assert cli.main(["refresh", "--db", str(path)]) == 0
    con = db.connect(path)
    try:
        stored = con.execute("describe cl_touch").fetchall()
        con.execute(db.macros_used_by("select * from journey_rows('account', utc_now(), null)"))
        computed = con.execute("describe select * from journey_rows('account', utc_now(), null)").fetchall()
    finally:
        con.close()
    assert [c[0] for c in stored] == [c[0] for c in computed]
    # scope is stored as an enum, every other column with the macro's type
    assert [c[1] for c in stored][1:] == [c[1] for c in computed][1:]
    assert stored[0][1].startswith("ENUM")


def _deal_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("select * from cl_deal order by deal_idx").fetchall()


def _marked(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether cl_deal still holds the mark a test put in it (a rebuild erases it)."""
    return con.execute("select segment from cl_deal where deal_idx = 1").fetchone()[0] == "kept"


def test_the_fingerprint_parts_are_named_in_the_order_of_its_query():
    # journey_tables.refresh(keep_deals=True) compares every part but the touchpoints'
    tables = re.findall(r"\)\), 0\) from (\w+)\)", db.sql_text("derived_fingerprint"))
    assert tables == list(derived.FINGERPRINT_PARTS)


def test_a_build_after_touchpoints_alone_changed_keeps_the_deal_rows(tmp_path):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    try:
        derived.refresh(con)
        built = _deal_rows(con)
        con.execute("update cl_deal set segment = 'kept' where deal_idx = 1")
        con.execute("delete from touchpoints where touchpoint_id = (select min(touchpoint_id) from touchpoints)")
        assert not derived.current(con)
        derived.refresh(con, keep_deals=True)
        assert _marked(con) and derived.current(con)
        # the refresh command's build (keep_deals=False) makes every table again
        derived.refresh(con)
        assert not _marked(con) and _deal_rows(con) == built
    finally:
        con.close()


@pytest.mark.parametrize(
    "write",
    [
        "update deals set amount = amount + 1 where deal_id = (select min(deal_id) from deals)",
        "update accounts set segment = 'Other' where account_id = (select min(account_id) from accounts)",
        "update contacts set created_at = created_at - interval 400 days",
        "update leads set created_at = created_at - interval 400 days",
        "delete from deal_contacts where deal_id = (select min(deal_id) from deal_contacts)",
        "update cl_meta set value = 'older' where key = 'build'",
    ],
    ids=["deals", "accounts", "contacts", "leads", "deal_contacts", "another build"],
)
def test_a_build_after_a_table_the_deal_rows_read_changed_makes_them_again(tmp_path, write):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    try:
        derived.refresh(con)
        con.execute("update cl_deal set segment = 'kept' where deal_idx = 1")
        con.execute(write)
        derived.refresh(con, keep_deals=True)
        assert not _marked(con) and derived.current(con)
        con.execute(db.macros_used_by("select * from journey_deal_rows()"))
        assert _deal_rows(con) == con.execute("select * from journey_deal_rows() order by deal_idx").fetchall()
    finally:
        con.close()


def test_an_import_of_touchpoints_alone_keeps_the_deal_rows(tmp_path):
    # the tables were stale before (a touch deleted by plain SQL), so the import rebuilds them all
    # but cl_deal, whose tables it didn't write
    from closedloop.importer import import_files

    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    con.execute("update cl_deal set segment = 'kept' where deal_idx = 1")
    first = con.execute("select min(touchpoint_id) from touchpoints").fetchone()[0]
    csv_path = tmp_path / "touchpoints.csv"
    touch = con.execute("select * exclude (dates_unknown) from touchpoints where touchpoint_id = $id", {"id": first})
    touch.df().to_csv(csv_path, index=False)
    con.execute("delete from touchpoints where touchpoint_id = $id", {"id": first})
    con.close()
    result = import_files(path, [csv_path], "canonical")
    assert result.ok and result.tables["inserted"].tolist() == [1]
    con = db.connect(path)
    try:
        assert _marked(con) and derived.current(con)
    finally:
        con.close()


def test_import_and_sample_leave_current_tables(tmp_path, sample_db):
    from closedloop.importer import import_files

    con = db.connect(sample_db)
    assert derived.current(con)
    con.close()
    salesforce = Path(__file__).parent / "data" / "import" / "salesforce"
    result = import_files(tmp_path / "sf.duckdb", [salesforce], "salesforce")
    assert result.status == "imported"
    con = db.connect(tmp_path / "sf.duckdb")
    try:
        assert derived.current(con)
        counts = db.run(con, "derived_counts")
        assert int(counts["deals"].iloc[0]) == int(con.execute("select count(*) from deals").fetchone()[0])
    finally:
        con.close()


# --- degenerate databases take the same path ------------------------------------------------


@pytest.mark.parametrize("case", ["empty", "no touchpoints", "no closed deals", "one deal"])
def test_degenerate_databases(tmp_path, case):
    path = fixture.build(tmp_path / "f.duckdb")
    with duckdb.connect(str(path)) as con:
        if case == "empty":
            for table in (
                "deal_stage_history",
                "deal_contacts",
                "touchpoints",
                "deals",
                "leads",
                "contacts",
                "campaigns",
                "accounts",
            ):
                con.execute(exp.delete(exp.table_(table, quoted=True)).sql("duckdb"))
        elif case == "no touchpoints":
            con.execute("delete from touchpoints")
        elif case == "no closed deals":
            con.execute("update deals set outcome = 'open', closed_at = null")
        else:
            con.execute("delete from deals where deal_id <> 'D01'")
        derived.refresh(con)
        assert derived.current(con)
    con = db.connect(path)
    try:
        rules = api.rollups(con, models=list(RULE_MODELS[:-1]))
        for df in rules.values():
            assert df["attributed_wins"].sum() == approx(
                con.execute("select count(*) from deals where outcome = 'won'").fetchone()[0]
            )
        api.rollups(con, ["markov", "shapley"])
        lift.touchpoint_lift(con, "2020-01-01", "2030-01-01")
        api.compare_models(con)
    finally:
        con.close()


def test_campaigns_sharing_a_name_are_one_key(tmp_path):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    con.execute("update campaigns set name = 'Paid ads' where campaign_id in ('C1', 'C5')")
    derived.refresh(con)
    con.close()
    con = db.connect(path)
    try:
        results = api.rollups(con, by="campaign")
        for df in results.values():
            assert df["key"].is_unique
        assert "Paid ads" in set(results["first_touch"]["key"])
        assert "Search - Brand" not in set(results["first_touch"]["key"])
        states = api.markov_transitions(con, by="campaign", order=1)
        assert ["Paid ads"] in list(states["to_state"])
    finally:
        con.close()


@pytest.mark.parametrize("campaigns", [40, 90])
def test_lift_counts_each_deal_once_per_key_whether_codes_fit_bits_or_not(sample_db, tmp_path, campaigns):
    # the window's sets of codes (journey_sets, codes up to 63) and the (deal, code) pairs for
    # larger codes count the same deals as a plain count over the source tables' window
    path = tmp_path / "many.duckdb"
    path.write_bytes(Path(sample_db).read_bytes())
    con = duckdb.connect(str(path))
    con.execute(
        "update touchpoints set campaign_id = 'K' || lpad(cast(hash(touchpoint_id) % $n as varchar), 3, '0')",
        {"n": campaigns},
    )
    derived.refresh(con)
    con.close()
    con = db.connect(path)
    try:
        assert derived.current(con)
        top = con.execute("select max(code) from cl_key where dimension = 'campaign'").fetchone()[0]
        assert (top > 63) == (campaigns > 63)
        for kw in ({}, {"lookback_days": 30}, {"scope": "contact_roles", "lookback_days": 500}):
            got = lift.touchpoint_lift(con, "2000-01-01", "2100-12-31", "campaign", **kw).set_index("key")
            cur = con.cursor()
            cur.execute(db.macros_used_by("select * from deal_touches(0, '')"))
            want = dict(
                cur.execute(
                    """
                    select t.campaign_id, count(distinct d.deal_id) filter (where d.outcome = 'won')
                    from deals as d
                    join deal_touches($lb, $scope) as t on t.deal_id = d.deal_id
                    where d.outcome in ('won', 'lost') and t.campaign_id is not null
                    group by all
                    """,
                    {"lb": kw.get("lookback_days", 180), "scope": kw.get("scope", "account")},
                ).fetchall()
            )
            assert len(want) > 20
            assert got["deals_touched_won"].to_dict() == want
    finally:
        con.close()


def test_the_pages_offer_the_lookbacks_the_engine_serves():
    from closedloop import filters

    # a longer lookback than the journey tables hold would be refused by the engine
    assert filters.MAX_LOOKBACK_DAYS == derived.MAX_LOOKBACK_DAYS == 730


def test_the_bookkeeping_queries(stored):
    con = db.connect(stored)
    try:
        assert sorted(db.run(con, "derived_tables_present")["table_name"]) == [
            "cl_deal",
            "cl_key",
            "cl_meta",
            "cl_touch",
        ]
        m = dict(db.run(con, "derived_meta").itertuples(index=False, name=None))
        assert m["max_lookback_days"] == "730" and m["build"] == derived.build_version()
        # the row digest: one "count:sum" part per source table (deals, touchpoints, accounts,
        # contacts, leads, deal_contacts)
        rows = [
            len(t)
            for t in (
                fixture.DEALS,
                fixture.TOUCHPOINTS,
                fixture.ACCOUNTS,
                fixture.CONTACTS,
                fixture.LEADS,
                fixture.DEAL_CONTACTS,
            )
        ]
        parts = db.run(con, "derived_fingerprint")["fingerprint"].iloc[0].split(",")
        assert [int(p.split(":")[0]) for p in parts] == rows
        assert m["fingerprint"] == ",".join(parts)
        storage = db.run(con, "derived_storage")["storage"].iloc[0].split(",")
        assert [int(c) for c in storage[::2]] == rows
        keys = db.run(con, "derived_keys", dimension="campaign")
        # a missing campaign is code 1, then C1..C6 in order; keys are names, read now
        assert keys["raw"].tolist()[1:] == ["C1", "C2", "C3", "C4", "C5", "C6"]
        assert keys["key"].tolist() == [
            "(no campaign)",
            "Search - Brand",
            "ROI Guide eBook",
            "Q1 Webinar",
            "Nurture emails",
            "LinkedIn Ads",
            "Data Summit",
        ]
    finally:
        con.close()
