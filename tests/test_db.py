"""The query layer: named queries, bound parameters, clear errors; the schema."""

from __future__ import annotations

import duckdb
import pytest

from closedloop import db


def test_run_binds_parameters(fixture_con):
    df = db.run(fixture_con, "filter_options")
    assert set(df.loc[df["filter"] == "owner", "value"]) == {"Alice", "Bob", "Carol"}


def test_unknown_query_names_the_known_ones(fixture_con):
    with pytest.raises(db.QueryError, match=r"no queries/nope\.sql.*review_kpis"):
        db.run(fixture_con, "nope")


def test_missing_and_extra_parameters_are_named(fixture_con):
    with pytest.raises(db.QueryError, match=r"missing \$date_to.*unexpected \$colour"):
        db.run(
            fixture_con,
            "review_kpis",
            date_from="2026-01-01",
            segment=None,
            region=None,
            owner=None,
            lookback_days=180,
            scope="account",
            colour="red",
        )


def test_query_names_cannot_escape_the_folder(fixture_con):
    with pytest.raises(db.QueryError, match="lowercase"):
        db.run(fixture_con, "../schema")


def test_app_connection_is_read_only(fixture_db):
    con = db.connect(fixture_db)
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute("delete from deals")


def test_missing_database_says_how_to_build_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="closedloop sample --db"):
        db.connect(tmp_path / "absent.duckdb")


def test_schema_records_its_version_and_checks_enumerations(tmp_path):
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    db.create_schema(con)
    db.create_schema(con)  # idempotent
    assert con.execute("select value from schema_info where key = 'schema_version'").fetchone() == (db.SCHEMA_VERSION,)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("insert into deals (deal_id, outcome) values ('X', 'maybe')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "insert into touchpoints (touchpoint_id, occurred_at, account_id, contact_id, team, channel, "
            "touchpoint_type, campaign_id, asset) values ('T', now(), 'A', null, 'finance', 'c', 't', null, null)"
        )
    with pytest.raises(duckdb.ConstraintException):
        con.execute("insert into retro_notes (deal_id, team, verdict) values ('D', 'sales', 'meh')")
    with pytest.raises(duckdb.ConstraintException):  # a won deal must have a close date
        con.execute("insert into deals (deal_id, outcome) values ('Y', 'won')")


def test_every_table_of_the_design_exists(fixture_con):
    tables = {r[0] for r in fixture_con.execute("select table_name from information_schema.tables").fetchall()}
    # DESIGN.md's eight tables of the data model, and the notes the app writes
    assert len(set(db.CANONICAL_TABLES)) == 8
    assert {*db.CANONICAL_TABLES, "retro_notes"} <= tables


def test_every_query_file_has_a_test():
    """One test per .sql file: each question's name appears in a test module."""
    from pathlib import Path

    tests_text = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    untested = [q for q in db.available_queries() if f'"{q}"' not in tests_text]
    assert not untested, f"queries without a test: {untested}"


def test_every_query_states_its_question_and_ends_in_final():
    for name in db.available_queries():
        text = db.sql_text(name)
        assert text.lstrip().startswith("--"), f"{name}.sql needs a header comment"
        header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
        assert "?" in header or "question" in header.lower(), f"{name}.sql: the header should state its question"
        assert "final" in text, f"{name}.sql should end in a `final` CTE"


def test_every_statement_is_used_and_says_what_it_does():
    """queries/statements/*.sql: each is run by the core (its name in a module) and heads with
    `-- Statement:`; none is a question (available_queries leaves them out)."""
    from pathlib import Path

    core = "\n".join(p.read_text() for p in (Path(db.ROOT) / "closedloop").rglob("*.py"))
    names = sorted(p.stem for p in db.STATEMENTS_DIR.glob("*.sql"))
    assert names, "no statements found"
    unused = [n for n in names if f'"{n}"' not in core]
    assert not unused, f"statements no module runs: {unused}"
    for n in names:
        assert db.statement_text(n).startswith("-- Statement:"), n
    assert not set(names) & set(db.available_queries())


def test_execute_checks_parameters_exactly_and_runs_on_the_connection_itself(fixture_con):
    with pytest.raises(db.QueryError, match=r"Statement 'review_exists' takes \$review_id; missing \$review_id"):
        db.execute(fixture_con, "review_exists")
    with pytest.raises(db.QueryError, match=r"unexpected \$extra"):
        db.execute(fixture_con, "review_exists", review_id="R1", extra=1)
    with pytest.raises(db.QueryError, match="Unknown statement"):
        db.execute(fixture_con, "no_such_statement")
    assert db.execute(fixture_con, "review_exists", review_id="nope").fetchone() == (0,)
    assert db.execute(fixture_con, "app_tables_present", tables=["retro_notes", "nope"]).fetchone()[0] == 1


def test_review_deals_insert_pairs_each_deal_with_its_position(tmp_path):
    con = duckdb.connect(str(tmp_path / "r.duckdb"))
    db.create_schema(con)
    con.begin()
    db.execute(
        con, "review_insert", review_id="r", name="R", period_from="2026-01-01", period_to="2026-03-31", model="linear"
    )
    db.execute(con, "review_deals_insert", review_id="r", deal_ids=["D07", "D02", "D05"], positions=[1, 2, 3])
    con.commit()
    rows = con.execute("select deal_id, position from review_deals where review_id = 'r' order by position").fetchall()
    assert rows == [("D07", 1), ("D02", 2), ("D05", 3)]
    con.close()
