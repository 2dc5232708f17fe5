"""Translation of queries/*.sql to Spark SQL, the engine settings and `export` — no Spark needed.

Every question in queries/ either translates or is listed, with its reason, in
closedloop.engine.translate.NOT_YET_ON_SPARK: a query added or rewritten (issue 15's
engine) is checked here the day it merges.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import duckdb
import fixture
import pytest
import sqlglot

from closedloop import cli, db, parquet_export
from closedloop.engine import EngineSettings, translate
from closedloop.engine.translate import NOT_YET_ON_SPARK, NotOnSpark


def test_every_query_translates_or_is_listed_not_yet():
    questions = db.available_queries()
    assert set(NOT_YET_ON_SPARK) <= set(questions), "stale names in NOT_YET_ON_SPARK"
    failures = {}
    for name in questions:
        try:
            translate.to_spark(name)
        except NotOnSpark as exc:
            failures[name] = str(exc)
    unlisted = sorted(set(failures) - set(NOT_YET_ON_SPARK))
    assert not unlisted, f"queries that do not translate and are not listed: {unlisted}: " + "; ".join(
        failures[n] for n in unlisted
    )
    # a listed query that translates now belongs on Spark: take it off the list
    translating_but_listed = sorted(set(NOT_YET_ON_SPARK) - set(failures))
    assert not translating_but_listed, f"listed as not yet on Spark but translate: {translating_but_listed}"


def test_duckdb_only_hints_are_dropped():
    """`with x as not materialized (...)` is DuckDB's; Spark's parser stops at it (a syntax error
    only a Spark run showed: attribution_rollup on 2026-12-01)."""
    hinted = [n for n in db.available_queries() if "materialized" in db.sql_text(n).lower()]
    assert "attribution_rollup" in hinted
    for name in hinted:
        if name not in NOT_YET_ON_SPARK:
            assert "MATERIALIZED" not in translate.to_spark(name).upper(), name
    assert "MATERIALIZED" not in translate.journey_build("cl_touch").upper()
    # and the hinted CTE's body is still rewritten (DuckDB's error() is Spark's raise_error())
    text = translate.to_spark("attribution_rollup").upper()
    assert "RAISE_ERROR(" in text and "ERROR(" not in text.replace("RAISE_ERROR(", "")
    # len() of a list cast from a parameter: SIZE (Spark's LENGTH takes strings only)
    assert "SIZE(CAST(:MULTIPLIER_MODELS AS ARRAY<STRING>))" in text and "LENGTH(" not in text
    # where the translator cannot see a list (a column), a query writes array_length(), not len()
    lengths = [n for n in db.available_queries() if n not in NOT_YET_ON_SPARK and "LENGTH(" in translate.to_spark(n)]
    assert not lengths, f"len() of a list column is LENGTH() on Spark (strings only): {lengths}"
    # inside len(list_filter(..., lambda e: ... date_diff(...))) the date_diff is rewritten too
    lag = translate.to_spark("path_time_lag")
    assert "SIZE(FILTER(" in lag and "DATEDIFF(DAY, f.first_touch_at" not in lag


def test_spark_text_has_named_parameters_and_no_macro_calls():
    text = translate.to_spark("review_kpis")
    assert ":date_from" in text and ":lookback_days" in text and "$" not in text
    for macro in ("FILTERED_DEALS(", "DEAL_TOUCHES_OF("):
        assert macro not in text.upper()
    # the macro's body is there, with the call's arguments in place of its parameters
    assert "P_SEGMENT" not in text.upper() and ":segment" in text
    # the set of the period's deals is pushed in as a plain IN subquery, not an exploded list
    assert "EXPLODE" not in text.upper()


def test_values_never_reach_the_text():
    a = translate.to_spark("deal_search")
    assert "acme" not in a.lower()
    assert ":search" in a and ":max_rows" in a


def test_ordered_list_becomes_a_sorted_list_of_structs():
    """SQLGlot turns list(x order by y) into COLLECT_LIST(x), which loses the order: the rewrite
    sorts structs (y, touchpoint_id, x) instead, which both engines keep in order."""
    tree = sqlglot.parse_one("select list(channel order by occurred_at, touchpoint_id) from touchpoints", read="duckdb")
    assert "ORDER" not in tree.sql("spark").upper()  # why the rewrite exists
    translate.guard(tree, "q")
    text = translate._to_spark(tree, "q", None)
    assert (
        "TRANSFORM(ARRAY_SORT(COLLECT_LIST(STRUCT(occurred_at AS k0, touchpoint_id AS k1, channel AS v))), s -> s.v)"
        in text
    )
    first = translate._to_spark(sqlglot.parse_one("select first(team order by a) from t", read="duckdb"), "q", None)
    assert "(ARRAY_SORT(COLLECT_LIST(STRUCT(a AS k0, team AS v))))[0].v" in first
    # descending keys would need another sort: refused, not guessed
    with pytest.raises(NotOnSpark, match="ordered aggregate"):
        translate.guard(sqlglot.parse_one("select list(c order by t desc) from x", read="duckdb"), "q")


def test_zipped_unnest_and_one_based_indexes():
    text = translate._to_spark(
        sqlglot.parse_one("select unnest($names) as model, unnest($weights) as wt", read="duckdb"), "q", None
    )
    assert text == "SELECT INLINE(ARRAYS_ZIP(:names, :weights)) AS (model, wt)"
    # an index by expression: element_at counts from 1 like DuckDB; an index lambda's i from 0 on Spark
    text = translate._to_spark(
        sqlglot.parse_one("select list_filter(l, lambda x, i: i = 1 or x <> l[i - 1]) from t", read="duckdb"),
        "q",
        None,
    )
    assert "FILTER(l, (x, i) -> (i + 1) = 1 OR x <> TRY_ELEMENT_AT(l, CAST((i + 1) - 1 AS INT)))" in text
    # count(*) filter (...) over a window: Spark takes no FILTER there
    text = translate._to_spark(
        sqlglot.parse_one("select count(*) filter (where a > 1) over (partition by k) from t", read="duckdb"), "q", None
    )
    assert "COUNT(CASE WHEN a > 1 THEN 1 END) OVER (PARTITION BY k)" in text


def test_list_slice_other_than_head_or_tail_is_refused():
    tree = sqlglot.parse_one("select w[2:3] from t", read="duckdb")
    with pytest.raises(NotOnSpark, match="counts from 1"):
        translate.guard(tree, "q")
    translate.guard(sqlglot.parse_one("select w[1], w[$i], w[:$n], w[-$n:] from t", read="duckdb"), "q")


def test_parallel_unnest_with_a_from_is_refused():
    """DuckDB zips `select unnest(a), unnest(b)`; Spark's two EXPLODEs multiply them (zipped only
    in a select of its own)."""
    with pytest.raises(NotOnSpark, match="several unnest"):
        translate.guard(sqlglot.parse_one("select unnest(a) as k, unnest(b) as v from t", read="duckdb"), "q")
    translate.guard(sqlglot.parse_one("select unnest([1, 2]) as k, unnest([3, 4]) as v", read="duckdb"), "q")


def test_epoch_is_refused():
    with pytest.raises(NotOnSpark, match="epoch"):
        translate.guard(sqlglot.parse_one("select epoch(occurred_at) from t", read="duckdb"), "q")


def _rewritten(sql: str) -> str:
    return sqlglot.parse_one(sql, read="duckdb").transform(translate.rewrite).sql("spark")


def test_rewrites_keep_duckdb_meaning():
    # day boundaries, as DuckDB counts them
    assert _rewritten("select date_diff('day', a, b)") == "SELECT DATEDIFF(DAY, CAST(a AS DATE), CAST(b AS DATE))"
    assert "DATE_TRUNC('SECOND', a)" in _rewritten("select date_diff('second', a, b)")
    with pytest.raises(NotOnSpark):
        _rewritten("select date_diff('hour', a, b)")
    # a decimal literal divides into a double, not a 6-place decimal
    assert _rewritten("select x / 3600.0") == "SELECT x / CAST(3600.0 AS DOUBLE)"
    assert _rewritten("select to_days(3)") == "SELECT MAKE_DT_INTERVAL(3)"
    assert _rewritten("select timezone('UTC', current_timestamp)") == "SELECT LOCALTIMESTAMP()"


def test_catalog_schema_qualifies_canonical_tables_only():
    text = translate.to_spark("deal_timeline", "lake.crm")
    assert "lake.crm.touchpoints" in text and "lake.crm.deals" in text
    # the app's notes come from the local DuckDB file, never from the lakehouse
    assert "crm.retro_notes" not in text and "retro_notes" in text
    # CTEs keep their names
    assert "lake.crm.deal " not in text
    with pytest.raises(ValueError):
        translate.to_spark("deal_timeline", "x; drop table deals")


def test_tables_read():
    assert translate.tables_read("deal_timeline") >= {"touchpoints", "deals", "retro_notes"}
    assert "retro_notes" not in translate.tables_read("review_kpis")


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_and_environment():
    assert EngineSettings.from_env({}) == EngineSettings("duckdb", None, None)
    s = EngineSettings.from_env(
        {"CLOSEDLOOP_ENGINE": "Spark", "CLOSEDLOOP_SPARK_SOURCE": "crm", "CLOSEDLOOP_SPARK_REMOTE": "sc://spark:15002"}
    )
    assert s == EngineSettings("spark", "sc://spark:15002", "crm")
    with pytest.raises(ValueError, match="one of duckdb, spark"):
        EngineSettings.from_env({"CLOSEDLOOP_ENGINE": "snowflake"})
    with pytest.raises(ValueError, match="CLOSEDLOOP_SPARK_SOURCE"):
        EngineSettings.from_env({"CLOSEDLOOP_ENGINE": "spark"})


def test_flags_override_environment():
    args = cli.build_parser().parse_args(
        ["attribute", "--model", "linear", "--engine", "spark", "--spark-source", "/data/lake"]
    )
    env = {"CLOSEDLOOP_ENGINE": "duckdb", "CLOSEDLOOP_SPARK_SOURCE": "crm", "CLOSEDLOOP_SPARK_REMOTE": "sc://h:1"}
    assert EngineSettings.from_args(args, env) == EngineSettings("spark", "sc://h:1", "/data/lake")


def _commands() -> set[str]:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_command_reads_through_the_engine_or_says_why_not():
    """A new command that reads the data must take --engine (READING_COMMANDS) or say why not."""
    assert not set(cli.READING_COMMANDS) & set(cli.DUCKDB_ONLY_COMMANDS)
    assert _commands() == set(cli.READING_COMMANDS) | set(cli.DUCKDB_ONLY_COMMANDS)


def test_readme_lists_the_engine_settings_and_commands():
    """README's settings table: one row per engine setting with its flag; the engine's row names
    every command that takes it."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `CLOSEDLOOP_")}
    for var, flag in (
        ("CLOSEDLOOP_ENGINE", "--engine"),
        ("CLOSEDLOOP_SPARK_REMOTE", "--spark-remote"),
        ("CLOSEDLOOP_SPARK_SOURCE", "--spark-source"),
    ):
        assert var in rows, f"README's settings table has no row for {var}"
        assert f"`{flag}`" in rows[var], f"README's {var} row does not name {flag}"
    for command in cli.READING_COMMANDS:
        assert f"`{command}`" in rows["CLOSEDLOOP_ENGINE"], f"README's CLOSEDLOOP_ENGINE row misses `{command}`"


@pytest.mark.parametrize("command", cli.READING_COMMANDS)
def test_reading_commands_document_the_engine(command, capsys):
    parser = cli.build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([command, "--help"])
    out = capsys.readouterr().out
    for flag in ("--engine", "--spark-remote", "--spark-source", "CLOSEDLOOP_SPARK_SOURCE"):
        assert flag in out


def test_duckdb_path_never_imports_pyspark():
    code = (
        "import sys; from closedloop import cli, engine; cli.build_parser(); "
        "from closedloop.engine import translate; translate.to_spark('lead_funnel'); "
        "assert 'pyspark' not in sys.modules, 'pyspark imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


# --- export -----------------------------------------------------------------------------------


def test_export_writes_every_canonical_table_and_nothing_else(tmp_path):
    path = fixture.build(tmp_path / "fx.duckdb")
    con = db.connect(path)
    try:
        counts = parquet_export.export(con, tmp_path / "out")
        assert set(counts) == set(translate.CANONICAL_TABLES)
        assert counts["touchpoints"] == 24 and counts["deals"] == 12
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(translate.CANONICAL_TABLES)
        check = duckdb.connect()
        for table in translate.CANONICAL_TABLES:
            back = (
                check.read_parquet(str(tmp_path / "out" / table / "*.parquet"))
                .order(", ".join(f"#{i}" for i in range(1, 4)))
                .df()
            )
            orig = con.table(table).order(", ".join(f"#{i}" for i in range(1, 4))).df()
            assert back.equals(orig), table
        with pytest.raises(ValueError, match="--force"):
            parquet_export.export(con, tmp_path / "out")
        parquet_export.export(con, tmp_path / "out", force=True)
    finally:
        con.close()


def test_export_partitions_where_asked(tmp_path):
    path = fixture.build(tmp_path / "fx.duckdb")
    con = db.connect(path)
    try:
        parquet_export.export(con, tmp_path / "out", {"touchpoints": "team"})
        assert sorted(p.name for p in (tmp_path / "out" / "touchpoints").iterdir()) == ["team=marketing", "team=sales"]
        with pytest.raises(ValueError, match="no column"):
            parquet_export.export(con, tmp_path / "o2", {"touchpoints": "occurred_at; drop"})
        with pytest.raises(ValueError, match="not a canonical table"):
            parquet_export.export(con, tmp_path / "o3", {"retro_notes": "team"})
    finally:
        con.close()


def test_export_command(tmp_path, capsys):
    path = fixture.build(tmp_path / "fx.duckdb")
    assert cli.main(["export", "--db", str(path), "--out", str(tmp_path / "lake")]) == 0
    assert "touchpoints 24" in capsys.readouterr().out
