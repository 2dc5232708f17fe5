"""The derived tables (closedloop/derived.py): every figure read from them equals the
figure read from the source tables, and they are used only when they match."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import fixture
import numpy as np
import pandas as pd
import pytest

from closedloop import cli, db, derived, lift, sample
from closedloop.attribution import api
from closedloop.attribution.models import CustomWeights

BY = ("channel", "touchpoint_type", "campaign", "asset", "team")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("derived") / "sample.duckdb"
    sample.generate(path, deals=400, seed=11, progress=False)
    return path


@pytest.fixture(scope="module")
def fixture_derived(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = fixture.build(tmp_path_factory.mktemp("derived") / "fixture.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    con.close()
    return path


@pytest.fixture(params=["fixture", "sample"])
def both(request, fixture_derived: Path, sample_db: Path):
    """A read-only connection to a database whose derived tables are current."""
    con = db.connect(fixture_derived if request.param == "fixture" else sample_db)
    assert derived.usable(con)
    yield con
    con.close()


class Queries:
    """Records the named queries db.run runs."""

    def __init__(self, monkeypatch) -> None:
        self.names: list[str] = []
        real = db.run

        def run(con, name, **params):
            self.names.append(name)
            return real(con, name, **params)

        monkeypatch.setattr(db, "run", run)


def source_and_derived(monkeypatch, fn):
    """fn() answered from the source tables, then from the derived tables, and the queries each ran."""
    queries = Queries(monkeypatch)
    with monkeypatch.context() as m:
        m.setattr(derived, "usable", lambda *a, **k: False)
        slow = fn()
    slow_names, queries.names = queries.names, []
    fast = fn()
    return slow, fast, slow_names, queries.names


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col].reset_index(drop=True), b[col].reset_index(drop=True)
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            np.testing.assert_allclose(x.astype(float), y.astype(float), rtol=1e-9, atol=1e-9, err_msg=col)
        else:
            assert [_cell(v) for v in x] == [_cell(v) for v in y], col


def _cell(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, list | tuple | np.ndarray):
        return tuple(v)
    return v


@pytest.mark.parametrize("by", BY)
def test_every_model_is_the_same_from_the_derived_tables(both, monkeypatch, by):
    slow, fast, slow_q, fast_q = source_and_derived(
        monkeypatch, lambda: api.rollups(both, by=by, date_from="2025-10-01", date_to="2026-09-30")
    )
    assert "attribution_rollup" in slow_q and "attribution_rollup_derived" in fast_q
    assert "attribution_rollup" not in fast_q and "attribution_shapley_coalitions" not in fast_q
    assert slow.keys() == fast.keys() and len(slow) == 13  # 10 rule-based, markov, 2 shapley
    for model in slow:
        assert_same(slow[model], fast[model])


@pytest.mark.parametrize("half_life", [7.0, 2.5])
def test_filters_and_half_life_are_the_same(both, monkeypatch, half_life):
    segment = both.execute("select min(segment) from accounts").fetchone()[0]
    kwargs = dict(by="channel", segment=segment, half_life_days=half_life, date_from="2026-01-01")
    slow, fast, _, fast_q = source_and_derived(monkeypatch, lambda: api.rollups(both, **kwargs))
    assert "attribution_rollup_derived" in fast_q
    for model in slow:
        assert_same(slow[model], fast[model])


def test_custom_weights_without_multipliers_use_the_derived_tables(both, monkeypatch):
    w = CustomWeights(ft=3, lc=1, oc=2, cl=4, middle=1)
    slow, fast, _, fast_q = source_and_derived(
        monkeypatch, lambda: api.rollup(both, "custom", by="touchpoint_type", weights=w)
    )
    assert "attribution_rollup_derived" in fast_q
    assert_same(slow, fast)


def test_type_multipliers_fall_back_to_the_source_tables(both, monkeypatch):
    w = CustomWeights(ft=1, cl=1, middle=1, multipliers={"sales_meeting": 2.0})
    slow, fast, _, fast_q = source_and_derived(monkeypatch, lambda: api.rollup(both, "custom", weights=w))
    assert "attribution_rollup" in fast_q and "attribution_rollup_derived" not in fast_q
    assert_same(slow, fast)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("by", BY)
def test_markov_transitions_are_the_same(both, monkeypatch, by, order):
    slow, fast, slow_q, fast_q = source_and_derived(
        monkeypatch, lambda: api.markov_transitions(both, by=by, order=order, date_to="2026-09-30")
    )
    assert "attribution_markov_transitions" in slow_q
    assert fast_q == ["derived_tables_present", "derived_meta", "derived_keys",
                      "attribution_markov_transitions_derived"]
    assert_same(slow, fast)


@pytest.mark.parametrize("dimension", lift.DIMENSIONS)
def test_lift_is_the_same(both, monkeypatch, dimension):
    kwargs = dict(date_from="2025-01-01", date_to="2026-09-30", dimension=dimension)
    slow, fast, slow_q, fast_q = source_and_derived(monkeypatch, lambda: lift.touchpoint_lift(both, **kwargs))
    assert "touchpoint_lift" in slow_q and "touchpoint_lift_derived" in fast_q
    assert len(slow) > 0
    assert_same(slow, fast)


def test_the_fixture_figures_hold_from_the_derived_tables(fixture_derived, monkeypatch):
    # worked out by hand in tests/fixture.py; test_attribution_rules.py pins them from the source tables
    queries = Queries(monkeypatch)
    q1 = {"date_from": "2026-01-01", "date_to": "2026-03-31"}
    con = db.connect(fixture_derived)
    try:
        first = api.rollup(con, "first_touch", **q1).set_index("key")["attributed_wins"]
        linear = api.rollup(con, "linear", by="team", **q1).set_index("key")
        enterprise = api.rollup(con, "linear", segment="Enterprise", **q1)
        bob = api.rollup(con, "linear", owner="Bob", **q1)
        everything = api.rollup(con, "linear")
    finally:
        con.close()
    assert "attribution_rollup" not in queries.names
    assert first[first > 0].to_dict() == {"paid_search": 2.0, "paid_social": 1.0, "sales": 1.0, "webinar": 1.0}
    # sales: 2 of D01's 5 touches, both of D04's, 3 of D07's 7
    assert linear.loc["sales", "attributed_wins"] == pytest.approx(2 / 5 + 1 + 3 / 7)
    assert linear.loc["sales", "attributed_revenue_usd"] == pytest.approx(40_000 + 200_000 + 50_000 * 3 / 7)
    assert linear["attributed_pipeline_usd"].sum() == pytest.approx(420_000.0)
    assert enterprise["attributed_revenue_usd"].sum() == pytest.approx(350_000.0)  # D01, D04, D07
    assert bob["attributed_wins"].sum() == pytest.approx(2.0)  # D02, D08
    assert everything["attributed_pipeline_usd"].sum() == pytest.approx(654_000.0)


def test_used_only_for_the_default_matching(fixture_derived):
    con = db.connect(fixture_derived)
    try:
        assert derived.usable(con, 180, "account")
        assert not derived.usable(con, 90, "account")
        assert not derived.usable(con, 180, "contact_roles")
    finally:
        con.close()


def test_a_write_that_bypasses_refresh_stops_their_use(tmp_path):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    assert not derived.usable(con)  # never built
    derived.refresh(con)
    assert derived.usable(con)
    con.execute(
        "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
        "touchpoint_type, campaign_id, asset) values ('T-new', timestamp '2026-01-05 10:00:00', 'A1', null, "
        "'marketing', 'email', 'email_open', null, null)"
    )
    assert not derived.usable(con)
    derived.refresh(con)
    assert derived.usable(con)
    con.close()


def test_a_touch_dated_after_the_build_stops_their_use(tmp_path):
    # an open deal's window runs up to "now": a touch dated later joins it later
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    latest = con.execute("select max(occurred_at) from touchpoints").fetchone()[0]
    derived.refresh(con, now=latest - timedelta(days=1))
    assert not derived.usable(con)
    derived.refresh(con, now=datetime(2100, 1, 1))
    assert derived.usable(con)
    con.close()


def test_import_and_sample_leave_current_derived_tables(tmp_path, sample_db):
    from closedloop.importer import import_files

    con = db.connect(sample_db)
    assert derived.usable(con)
    con.close()
    salesforce = Path(__file__).parent / "data" / "import" / "salesforce"
    result = import_files(tmp_path / "sf.duckdb", [salesforce], "salesforce")
    assert result.status == "imported"
    con = db.connect(tmp_path / "sf.duckdb")
    try:
        assert derived.usable(con)
        counts = db.run(con, "derived_counts")
        assert int(counts["deals"].iloc[0]) == int(con.execute("select count(*) from deals").fetchone()[0])
    finally:
        con.close()


def test_refresh_command(tmp_path, capsys):
    path = fixture.build(tmp_path / "f.duckdb")
    assert cli.main(["refresh", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Rebuilt the derived tables" in out
    con = db.connect(path)
    try:
        assert derived.usable(con)
        touches = int(db.run(con, "derived_counts")["touches"].iloc[0])
        # every (deal, touch) pair of the default window: the macro the source-table queries use
        pairs = con.execute(
            db.macros_for("attribution_closed_totals")
            + "; select count(*) from deal_touches(180, 'account')"
        ).fetchone()[0]
    finally:
        con.close()
    assert touches == pairs
    assert f"{touches:,} deal touches" in out


@pytest.mark.parametrize("by", BY)
def test_shapley_coalitions_and_closed_totals_are_the_same(both, monkeypatch, by):
    f = api._filters("2025-07-01", "2026-09-30", None, None, None, 180, "account")
    slow = db.run(both, "attribution_shapley_coalitions", by=by, **f)
    queries = Queries(monkeypatch)
    fast = api._coalitions(both, by, f)
    assert "attribution_shapley_coalitions_derived" in queries.names
    assert_same(slow, fast)
    slow_totals = db.run(both, "attribution_closed_totals", **f)
    fast_totals = api.fast.closed_totals(both, f)
    assert "attribution_closed_totals_derived" in queries.names
    assert_same(slow_totals, fast_totals)


def test_the_fingerprint_counts_the_source_rows(fixture_derived):
    con = db.connect(fixture_derived)
    try:
        counts = [int(c) for c in db.run(con, "derived_fingerprint")["fingerprint"].iloc[0].split(",")]
        meta = derived.status(con).set_index("key")["value"]
    finally:
        con.close()
    # deals, touchpoints, accounts, contacts, leads, campaigns of tests/fixture.py
    assert counts == [len(fixture.DEALS), len(fixture.TOUCHPOINTS), len(fixture.ACCOUNTS),
                      len(fixture.CONTACTS), len(fixture.LEADS), len(fixture.CAMPAIGNS)]
    assert meta["fingerprint"] == ",".join(map(str, counts))
    assert meta["lookback_days"] == "180" and meta["scope"] == "account"


def test_tables_of_another_build_version_are_not_used(tmp_path):
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    derived.refresh(con)
    assert derived.meta(con)["build"] == derived.build_version()
    con.execute("update cl_meta set value = 'older' where key = 'build'")
    assert not derived.usable(con)
    con.close()


def test_refresh_if_stale_leaves_current_tables_alone(tmp_path, capsys):
    path = fixture.build(tmp_path / "f.duckdb")
    assert cli.main(["refresh", "--db", str(path), "--if-stale"]) == 0
    assert "Rebuilt" in capsys.readouterr().out
    assert cli.main(["refresh", "--db", str(path), "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_campaigns_sharing_a_name_are_one_key_both_ways(tmp_path, monkeypatch):
    # attribution_key() names a campaign by its name: two campaigns called the same are one key,
    # in roll-ups, Markov states and Shapley sets, whichever tables answer
    path = fixture.build(tmp_path / "f.duckdb")
    con = duckdb.connect(str(path))
    con.execute("update campaigns set name = 'Paid ads' where campaign_id in ('C1', 'C5')")
    derived.refresh(con)
    con.close()
    con = db.connect(path)
    try:
        assert derived.usable(con)
        f = api._filters(None, None, None, None, None, 180, "account")
        slow, fast, _, fast_q = source_and_derived(monkeypatch, lambda: api.rollups(con, by="campaign"))
        assert "attribution_rollup_derived" in fast_q and "attribution_shapley_coalitions_derived" in fast_q
        for model in slow:
            assert_same(slow[model], fast[model])
        assert "Paid ads" in set(fast["first_touch"]["key"]) and "Search - Brand" not in set(fast["first_touch"]["key"])
        for order in (1, 2):
            assert_same(db.run(con, "attribution_markov_transitions", by="campaign", order=order, **f),
                        api._transitions(con, "campaign", order, f))
        assert_same(db.run(con, "attribution_shapley_coalitions", by="campaign", **f),
                    api._coalitions(con, "campaign", f))
    finally:
        con.close()
