"""Differential tests: the queries that run on Spark give DuckDB's answers, to 1e-9.

One local-mode Spark session serves the whole module (starting one takes seconds);
one test goes through a local Spark Connect server. The data reaches Spark the way a
user's does: `closedloop export` writes Parquet, the Spark engine reads the folder and
builds the journey tables from it. The engine questions (every rule-based model,
receipts, Markov orders 1-3, Shapley, lift, pipeline influence, journeys, handoff, review
KPIs) are asked through the core's own functions (tests/spark_questions.py): each named
query they run on DuckDB is asked of Spark with the same parameters.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import fixture
import pytest
from spark_questions import questions, recorded
from spark_support import TEST_CONF, assert_same, require_spark

from closedloop import db, parquet_export, sample

pytestmark = pytest.mark.spark

# "now" of the journey tables on Spark: DuckDB's were built when the database was (every fixture
# and sample touch is older, so the open deals' windows agree)
NOW = dt.datetime(2030, 1, 1)
Q1 = dict(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31), segment=None, region=None, owner=None)
WINDOW = dict(lookback_days=180, scope="account")

# (query, parameters) on the hand-worked fixture: every query that runs on Spark today,
# with the filters and both scopes exercised where a query takes them
FIXTURE_CASES = [
    ("filter_options", {}),
    ("lead_filter_options", {}),
    ("deal_created_range", {}),
    ("deal_search", dict(search="acme", deal_id=None, max_rows=50)),
    ("deal_search", dict(search=None, deal_id=None, max_rows=5)),
    ("deal_search", dict(search="", deal_id="D04", max_rows=50)),
    ("deal_timeline", dict(deal_id="D01", **WINDOW)),
    ("deal_timeline", dict(deal_id="D07", lookback_days=30, scope="contact_roles")),
    ("lead_follow_up", dict(Q1, sla_hours=24)),
    ("lead_follow_up", dict(Q1, segment="SMB", sla_hours=4)),
    ("lead_funnel", Q1),
    ("leads_never_followed_up", Q1),
    ("review_kpis", dict(Q1, **WINDOW)),
    ("review_kpis", dict(Q1, region="NA", lookback_days=30, scope="contact_roles")),
    ("review_closed_deals", dict(Q1, **WINDOW)),
    ("review_closed_deals", dict(Q1, lookback_days=180, scope="contact_roles")),
    ("review_touch_types", dict(Q1, **WINDOW)),
    ("review_touch_types", dict(Q1, owner="Bob", lookback_days=90, scope="account")),
]


@pytest.fixture(scope="module")
def spark():
    require_spark()
    from closedloop.engine.spark import spark_session

    return spark_session(None, TEST_CONF)


def _exported(tmp: Path, db_path: Path) -> Path:
    con = db.connect(db_path)
    try:
        parquet_export.export(con, tmp / "parquet")
    finally:
        con.close()
    return tmp / "parquet"


@pytest.fixture(scope="module")
def fixture_engines(spark, tmp_path_factory):
    """(DuckDB connection, Spark engine) on the fixture, the notes written into the DuckDB file."""
    from closedloop.engine.spark import SparkEngine

    tmp = tmp_path_factory.mktemp("spark_fixture")
    path = fixture.build(tmp / "fixture.duckdb")
    rw = db.connect(path, read_only=False)
    rw.execute(
        "insert into retro_notes (note_id, deal_id, touchpoint_id, team, verdict, text, created_at) values "
        "(1, 'D01', 'T03', 'sales', 'critical', 'the webinar sold it', timestamp '2026-02-11 09:00'), "
        "(2, 'D01', 'T03', 'marketing', 'helpful', null, timestamp '2026-02-11 10:00')"
    )
    rw.close()
    parquet = _exported(tmp, path)
    con = db.connect(path)
    yield con, SparkEngine(spark, str(parquet), local=con, now=NOW)
    con.close()


@pytest.mark.parametrize(("query", "params"), FIXTURE_CASES, ids=[f"{q}-{i}" for i, (q, _) in enumerate(FIXTURE_CASES)])
def test_fixture_same_on_spark(fixture_engines, query, params):
    con, spark_engine = fixture_engines
    duck = db.run(con, query, **params)
    assert len(duck) > 0, "a case with no rows compares nothing"
    assert_same(spark_engine.run(query, **params), duck)


def test_fixture_hand_worked_figures_on_spark(fixture_engines):
    """Not only equal to DuckDB: the fixture's hand-worked figures (tests/fixture.py)."""
    _, spark_engine = fixture_engines
    kpis = spark_engine.run("review_kpis", **Q1, **WINDOW).iloc[0]
    assert (kpis.deals_won, kpis.deals_lost) == (5, 3)
    assert kpis.win_rate == pytest.approx(0.625, abs=1e-12)
    assert kpis.revenue_won_usd == pytest.approx(402_000, abs=1e-9)
    assert kpis.median_days_to_close == pytest.approx(50, abs=1e-12)
    assert (kpis.share_won_marketing_touched, kpis.share_won_sales_touched) == pytest.approx((0.8, 0.6))
    never = spark_engine.run("leads_never_followed_up", **Q1)
    assert set(never.lead_id) <= {"L03", "L08", "L09"}
    timeline = spark_engine.run("deal_timeline", deal_id="D01", **WINDOW)
    noted = timeline[timeline.touchpoint_id == "T03"].iloc[0]
    assert noted.notes == 2
    assert noted.note_verdicts == "sales: critical; marketing: helpful"


@pytest.fixture(scope="module")
def sample_engines(spark, tmp_path_factory):
    from closedloop.engine.spark import SparkEngine

    tmp = tmp_path_factory.mktemp("spark_sample")
    path = tmp / "sample.duckdb"
    sample.generate(path, deals=300, seed=7, progress=False)
    parquet = _exported(tmp, path)
    con = db.connect(path)
    yield con, SparkEngine(spark.newSession(), str(parquet), local=con, now=NOW)
    con.close()


def test_sample_same_on_spark(sample_engines):
    """Every Spark-ready query on a seeded sample: real volumes, ties, nulls and open deals."""
    con, spark_engine = sample_engines
    opts = db.run(con, "filter_options")
    closed = dict(zip(opts["filter"], opts["value"], strict=False))
    period = dict(
        date_from=dt.date.fromisoformat(closed["closed_min"]),
        date_to=dt.date.fromisoformat(closed["closed_max"]),
        segment=None,
        region=None,
        owner=None,
    )
    lead_opts = db.run(con, "lead_filter_options")
    created = dict(zip(lead_opts["filter"], lead_opts["value"], strict=False))
    lead_period = dict(
        period,
        date_from=dt.date.fromisoformat(created["created_min"]),
        date_to=dt.date.fromisoformat(created["created_max"]),
    )
    busiest = db.run(con, "review_closed_deals", **period, **WINDOW)
    busiest = (
        busiest.assign(t=busiest.marketing_touches + busiest.sales_touches)
        .sort_values(["t", "deal_id"])
        .deal_id.iloc[-1]
    )
    cases = [
        ("filter_options", {}),
        ("lead_filter_options", {}),
        ("deal_created_range", {}),
        ("deal_search", dict(search="in", deal_id=None, max_rows=100)),
        ("deal_timeline", dict(deal_id=busiest, **WINDOW)),
        ("lead_follow_up", dict(lead_period, sla_hours=24)),
        ("lead_funnel", lead_period),
        ("leads_never_followed_up", lead_period),
        ("review_kpis", dict(period, **WINDOW)),
        ("review_closed_deals", dict(period, lookback_days=90, scope="contact_roles")),
        ("review_touch_types", dict(period, **WINDOW)),
    ]
    for query, params in cases:
        duck = db.run(con, query, **params)
        assert len(duck) > 0, query
        assert_same(spark_engine.run(query, **params), duck)
    # the engine questions on the sample: ties, nulls, open deals, many channels
    touched = db.run(con, "review_closed_deals", **period, **WINDOW).deal_id.iloc[:2].tolist()
    asked = _asked(con, (period["date_from"], period["date_to"]), [busiest, *touched])
    for (query, _), params in asked.items():
        assert_same(spark_engine.run(query, **params), db.run(con, query, **params))


def test_attribute_csv_same_on_spark(sample_engines, tmp_path):
    """`export` + `attribute --engine spark --spark-source DIR --model all`: DuckDB's CSV, to 1e-9."""
    import pandas as pd

    from closedloop import cli

    con, spark_engine = sample_engines
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    lake = tmp_path / "lake"
    assert cli.main(["export", "--db", path, "--out", str(lake)]) == 0
    common = ["attribute", "--db", path, "--model", "all", "--format", "csv"]
    assert cli.main([*common, "--out", str(tmp_path / "duck.csv")]) == 0
    spark_args = ["--engine", "spark", "--spark-source", str(lake), "--out", str(tmp_path / "spark.csv")]
    assert cli.main([*common, *spark_args]) == 0
    duck = pd.read_csv(tmp_path / "duck.csv")
    assert len(duck) > 3
    assert_same(pd.read_csv(tmp_path / "spark.csv"), duck)


# issue 14's commands, each with its Spark-specific risk: ordered paths, strata counts, periods, spend
ISSUE14_COMMANDS = {
    "paths-summary": ["paths", "--report", "summary", "--transform", "collapse_repeats"],
    "paths-time-lag": ["paths", "--report", "time-lag", "--by-month"],
    "paths-length": ["paths", "--report", "path-length"],
    "lift-adjusted": ["lift", "--by", "channel", "--adjusted"],
    "credit-over-time": ["credit-over-time", "--model", "time_decay", "--grain", "quarter"],
    "roas": ["attribute", "--model", "linear", "--measure", "roas"],
}


def test_issue14_commands_same_on_spark(sample_engines, tmp_path, monkeypatch):
    """`paths`, `lift --adjusted`, `credit-over-time` and `attribute --measure roas` with
    `--engine spark --spark-source DIR` on the exported sample: DuckDB's CSV, to 1e-9. The
    commands take the module's engine over that folder (its journey tables built once);
    test_attribute_csv_same_on_spark goes through open_engine itself."""
    import pandas as pd

    from closedloop import cli, engine

    con, spark_engine = sample_engines
    path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchone()[0]
    monkeypatch.setattr(engine, "open_engine", lambda settings, local, conf=(): spark_engine)
    for name, command in ISSUE14_COMMANDS.items():
        common = [*command, "--db", path, "--format", "csv"]
        assert cli.main([*common, "--out", str(tmp_path / f"{name}-duck.csv")]) == 0, name
        spark_args = ["--engine", "spark", "--spark-source", spark_engine.source]
        assert cli.main([*common, *spark_args, "--out", str(tmp_path / f"{name}-spark.csv")]) == 0, name
        duck = pd.read_csv(tmp_path / f"{name}-duck.csv")
        assert len(duck) > 1, name
        assert_same(pd.read_csv(tmp_path / f"{name}-spark.csv"), duck)
        if name == "roas":  # the sample's spend reaches the measure: not a column of blanks
            assert duck.select_dtypes("number").notna().any().any()


def _asked(con, period, deal_ids) -> dict[tuple[str, str], dict]:
    """Every named query the engine questions run on DuckDB, once each, that Spark serves."""
    from closedloop.engine import translate

    asked: dict[tuple[str, str], dict] = {}
    for call in questions(con, period, deal_ids).values():
        with recorded() as calls:
            call()
        for query, params in calls:
            if query not in translate.NOT_YET_ON_SPARK:
                asked.setdefault((query, repr(sorted(params.items()))), params)
    return asked


def test_engine_questions_on_fixture_same_on_spark(fixture_engines):
    """All rule-based models, receipts, Markov 1-3, Shapley, lift, pipeline, journeys, handoff and
    review KPIs on the hand-worked fixture: every query they run, equal to DuckDB to 1e-9."""
    con, spark_engine = fixture_engines
    asked = _asked(con, (dt.date(2026, 1, 1), dt.date(2026, 3, 31)), ["D01", "D06", "D07"])
    names = {q for q, _ in asked}
    assert {
        "attribution_rollup",
        "attribution_receipt",
        "attribution_markov_transitions",
        "attribution_shapley_coalitions",
        "attribution_closed_totals",
        "attribution_touch_credit",
        "touchpoint_lift",
        "pipeline_influence",
        "journey_paths",
        # the review page's KPIs come from its closed deals (pages/review.kpis_of); review_kpis
        # itself is compared above in QUERIES
        "review_closed_deals",
        "lead_funnel",
    } <= names
    for (query, _), params in asked.items():
        assert_same(spark_engine.run(query, **params), db.run(con, query, **params))


def test_fixture_models_through_the_engine_route(fixture_engines):
    """The core's functions with db.run routed to Spark (as the CLI and the app do): the
    fixture's hand-worked figures come out (tests/fixture.py)."""
    from closedloop.engine import attribution

    con, spark_engine = fixture_engines
    period = dict(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31))
    duck = attribution.compare_models(con, by="channel", **period)
    previous = db.use_engine(spark_engine)
    try:
        spark = attribution.compare_models(con, by="channel", **period)
        markov = attribution.rollup(con, "markov", by="channel", order=2, **period)
    finally:
        db.use_engine(previous)
    assert_same(spark, duck)
    # every model credits the 5 won deals of Q1 2026 in all
    for col in spark.columns:
        if col not in ("key", "label") and spark[col].dtype.kind == "f":
            assert spark[col].sum() == pytest.approx(5.0, abs=1e-9), col
    assert markov.attributed_wins.sum() == pytest.approx(5.0, abs=1e-9)


def test_notes_are_saved_locally_with_the_data_on_spark(spark, fixture_engines, tmp_path):
    """On Spark the local file (CLOSEDLOOP_DB) may hold only the app's own tables: a note's deal and
    touch are checked where the data lives, and the note is written locally, once."""
    from closedloop.engine.spark import SparkEngine
    from closedloop.meeting import notes

    con, fixture_engine = fixture_engines
    local = tmp_path / "app.duckdb"
    # one read-write connection for the engine's local tables and the note's write, as the
    # dashboard's shared connection gives (db.open_shared)
    app = db.connect(local, read_only=False)
    db.create_schema(app)
    engine = SparkEngine(spark, fixture_engine.source, local=app, now=NOW)
    previous = db.use_engine(engine)
    try:
        # T03 is a touch of D01's account (tests/fixture.py); D02's account is another
        note_id = notes.add_note(local, "D01", "sales", "critical", "the webinar", touchpoint_id="T03")
        with pytest.raises(notes.NoteError, match="There is no deal 'NOPE'"):
            notes.add_note(local, "NOPE", "sales", "critical", None)
        with pytest.raises(notes.NoteError, match="There is no touchpoint 'T999'"):
            notes.add_note(local, "D01", "sales", "critical", None, touchpoint_id="T999")
    finally:
        db.use_engine(previous)
        app.close()
    check = db.connect(local)
    try:
        assert check.execute("select note_id, deal_id, touchpoint_id, text from retro_notes").fetchall() == [
            (note_id, "D01", "T03", "the webinar")
        ]
        assert check.execute("select count(*) from deals").fetchone() == (0,)
    finally:
        check.close()


# the Connect check's own process: start the server, build the journey tables, two questions
CONNECT_TIMEOUT_S = 240

_CONNECT_CHECK = """
import sys
sys.path[:0] = [{tests!r}, {root!r}]
from spark_support import TEST_CONF, assert_same
from test_spark import Q1, WINDOW
from closedloop import db
from closedloop.engine import EngineSettings, open_engine
settings = EngineSettings.from_env({{"CLOSEDLOOP_ENGINE": "spark", "CLOSEDLOOP_SPARK_REMOTE": "local[2]",
                                    "CLOSEDLOOP_SPARK_SOURCE": {parquet!r}}})
con = db.connect({db!r})
engine = open_engine(settings, con, TEST_CONF)
assert type(engine.spark).__module__.startswith("pyspark.sql.connect"), type(engine.spark)
# the richest question: macros expanded, an ordered string_agg, the notes shipped from the DuckDB file
params = dict(deal_id="D07", **WINDOW)
assert_same(engine.run("deal_timeline", **params), db.run(con, "deal_timeline", **params))
# the journey tables built through Connect, and a model read from them
params = dict(deal_id="D01", lookback_days=180, scope="account", half_life_days=7.0,
              model_names=["linear", "u_shaped"], model_weights=[[0, 0, 0, 0, 1], [4, 4, 0, 0, 2]],
              multiplier_models=[], multiplier_types=[], multiplier_values=[])
assert_same(engine.run("attribution_receipt", **params), db.run(con, "attribution_receipt", **params))
print("same through Spark Connect")
"""


def test_through_spark_connect(tmp_path):
    """The same through a local Spark Connect server, opened from the settings as the app does.

    In a process of its own: PySpark will not start a Connect session beside this module's
    local-mode one."""
    require_spark()
    path = fixture.build(tmp_path / "fixture.duckdb")
    parquet = _exported(tmp_path, path)
    tests = Path(__file__).resolve().parent
    code = _CONNECT_CHECK.format(tests=str(tests), root=str(tests.parent), parquet=str(parquet), db=str(path))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=tests.parent, timeout=CONNECT_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr or b""
        err = err.decode(errors="replace") if isinstance(err, bytes) else err
        pytest.fail(
            f"The Spark Connect check took over {CONNECT_TIMEOUT_S} s (about 40 s on 2 busy cores): a hung "
            f"client or server. Its standard error, last part:\n{err[-3000:]}"
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "same through Spark Connect" in proc.stdout
