"""Safety: one transaction per import, re-imports change nothing, earlier data and notes are never lost."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import HEADER, checksums

from closedloop import db
from closedloop.importer import ImportFailed, import_files, load, validate
from closedloop.importer.load import table_checksums

DATA_TABLES = [
    *db.CANONICAL_TABLES,
    "retro_notes",
    "reviews",
    "review_deals",
]


def files(tmp_path: Path) -> list[Path]:
    """Two new deals, a change to D10, and touches and an account they need."""
    (tmp_path / "deals.csv").write_text(
        HEADER
        + "D20,A8,Hollow pilot,Bob,2026-04-01,2026-05-01,closed_won,won,5000\n"
        + "D21,A1,Acme add-on,Alice,2026-04-02,,proposal,open,7000\n"
        + "D10,A4,Dynamo add-on,Carol,2026-03-01,2026-04-15,closed_won,won,160000\n"
    )
    (tmp_path / "accounts.csv").write_text("account_id,name,industry\nA8,Hollow Inc,Retail\n")
    (tmp_path / "touchpoints.csv").write_text(
        "touchpoint_id,occurred_at,account_id,contact_id,team,channel,touchpoint_type,campaign_id,asset\n"
        "T90,2026-03-20 10:00,A8,,marketing,paid_search,ad_click,C1,\n"
        "T91,2026-04-10 10:00,A8,,sales,sales,sales_call,,\n"
    )
    return [tmp_path / "accounts.csv", tmp_path / "deals.csv", tmp_path / "touchpoints.csv"]


def with_notes(fixture_db: Path) -> None:
    con = duckdb.connect(str(fixture_db))
    con.execute(
        "insert into retro_notes (deal_id, touchpoint_id, team, verdict, text) "
        "values ('D10', 'T16', 'sales', 'critical', 'The meeting made it')"
    )
    con.execute("insert into reviews (review_id, name) values ('R1', 'Q1 review')")
    con.execute("insert into review_deals values ('R1', 'D10', 1)")
    con.close()


def test_an_exception_in_the_middle_leaves_the_database_exactly_as_it_was(tmp_path, fixture_db, monkeypatch):
    with_notes(fixture_db)
    before = checksums(fixture_db)
    real = load._write_source
    calls = []

    def failing(con, run, m):
        calls.append(m.target)
        if len(calls) == 3:  # accounts and deals are written by now
            raise RuntimeError("disk on fire")
        return real(con, run, m)

    monkeypatch.setattr(load, "_write_source", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_files(fixture_db, files(tmp_path), "canonical")
    assert calls == ["accounts", "deals", "touchpoints"]
    assert checksums(fixture_db) == before


def test_a_cancel_from_the_progress_callback_rolls_back_and_the_connection_stays_usable(tmp_path, fixture_db):
    con = duckdb.connect(str(fixture_db))
    before = table_checksums(con)

    def cancel(fraction: float, message: str) -> None:
        if message.startswith("Writing touchpoints"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_files(con, files(tmp_path), "canonical", progress=cancel)
    assert table_checksums(con) == before
    # no transaction left open, no temp table left behind
    assert import_files(con, files(tmp_path), "canonical").ok
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    con.close()


def test_a_failed_journey_build_rolls_back_and_leaves_no_staged_table(tmp_path, fixture_db, monkeypatch):
    # the staged tables are dropped inside the transaction before the build (run.release): a
    # failure after that still rolls everything back, and close() drops what the rollback restored
    con = duckdb.connect(str(fixture_db))
    before = table_checksums(con)

    def broken(*_args, **_kwargs):
        raise RuntimeError("build failed")

    monkeypatch.setattr(load.derived, "refresh", broken)
    monkeypatch.setattr(load.derived, "refresh_added", broken)
    with pytest.raises(RuntimeError, match="build failed"):
        import_files(con, files(tmp_path), "canonical")
    assert table_checksums(con) == before
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    assert con.execute("select count(*) from duckdb_views() where temporary and not internal").fetchone() == (0,)
    con.close()


def test_reimporting_the_same_files_changes_nothing(tmp_path, fixture_db):
    first = import_files(fixture_db, files(tmp_path), "canonical")
    # A8, D20, D21, T90, T91 are new; D10 changed (closed won at 160,000)
    assert (first.rows_inserted, first.rows_updated, first.rows_unchanged) == (5, 1, 0)
    after_first = checksums(fixture_db)
    second = import_files(fixture_db, files(tmp_path), "canonical")
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, 0, 6)
    after_second = checksums(fixture_db)
    assert {t: after_first[t] for t in DATA_TABLES} == {t: after_second[t] for t in DATA_TABLES}
    con = duckdb.connect(str(fixture_db), read_only=True)
    log = con.execute(
        "select import_id, files, mapping, rows_read, rows_inserted, rows_updated, rows_rejected "
        "from import_log order by import_id"
    ).fetchall()
    assert log == [
        (first.import_id, "accounts.csv, deals.csv, touchpoints.csv", "canonical", 6, 5, 1, 0),
        (second.import_id, "accounts.csv, deals.csv, touchpoints.csv", "canonical", 6, 0, 0, 0),
    ]
    con.close()


def test_updates_keep_notes_reviews_earlier_rows_and_unread_columns(tmp_path, fixture_db):
    with_notes(fixture_db)
    before = checksums(fixture_db)
    import_files(fixture_db, files(tmp_path), "canonical")
    # a thinner deals export: only the outcome columns of D01
    (tmp_path / "deals_update.csv").write_text("deal_id,outcome,closed_at,amount\nD01,won,2026-02-10,120000\n")
    result = import_files(fixture_db, [tmp_path / "deals_update.csv"], "canonical")
    assert result.rows_updated == 1
    after = checksums(fixture_db)
    for t in ("retro_notes", "reviews", "review_deals", "contacts", "leads", "campaigns", "deal_contacts"):
        assert after[t] == before[t], t
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name, owner, amount from deals where deal_id = 'D01'").fetchone() == (
        "Acme platform",
        "Alice",
        120000.0,
    )
    assert con.execute("select count(*) from deals").fetchone() == (14,)
    assert con.execute("select count(*) from touchpoints").fetchone() == (26,)
    assert con.execute("select outcome, closed_at is not null, amount from deals where deal_id = 'D10'").fetchone() == (
        "won",
        True,
        160000.0,
    )
    con.close()


def test_a_refused_import_writes_no_log_row(tmp_path, fixture_db):
    (tmp_path / "deals.csv").write_text(HEADER + "D20,A1,x,Bob,2026-04-01,,proposal,maybe,1\n")
    before = checksums(fixture_db)
    result = import_files(fixture_db, [tmp_path / "deals.csv"], "canonical")
    assert result.status == "refused" and result.import_id is None
    assert "Nothing was imported: 1 error(s)" in result.summary()
    assert checksums(fixture_db) == before


def test_a_new_database_is_created_with_the_schema(tmp_path):
    result = import_files(tmp_path / "fresh.duckdb", files(tmp_path)[:1], "canonical")
    assert result.ok and result.rows_inserted == 1
    con = duckdb.connect(str(tmp_path / "fresh.duckdb"), read_only=True)
    assert con.execute("select count(*) from retro_notes").fetchone() == (0,)
    con.close()


def test_a_read_only_connection_gets_a_clear_error(tmp_path, fixture_db):
    con = duckdb.connect(str(fixture_db), read_only=True)
    with pytest.raises(ImportFailed, match="read-only"):
        import_files(con, files(tmp_path), "canonical")
    con.close()


def test_progress_is_reported_from_reading_to_writing(tmp_path, fixture_db):
    seen: list[tuple[float, str]] = []
    import_files(fixture_db, files(tmp_path), "canonical", progress=lambda f, m: seen.append((f, m)))
    messages = [m for _, m in seen]
    assert messages[0] == "Reading accounts.csv" and messages[-1] == "Imported"
    assert any(m.startswith("Writing deals") for m in messages)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_touches_alone_are_checked_against_the_deals_in_the_database(tmp_path, fixture_db):
    # A2's deals closed by 2026-03-01 (none open); A4 has the open D10, so a late touch still counts there
    (tmp_path / "touchpoints.csv").write_text(
        "touchpoint_id,occurred_at,account_id,contact_id,team,channel,touchpoint_type,campaign_id,asset\n"
        "T90,2026-03-20 10:00,A2,K03,sales,sales,sales_call,,\n"
        "T91,2026-04-20 10:00,A4,K05,sales,sales,sales_call,,\n"
        "T92,2026-04-20 10:00,A4,K99,sales,sales,sales_call,,\n"
    )
    con = duckdb.connect(str(fixture_db), read_only=True)
    report = validate(con, [tmp_path / "touchpoints.csv"], "canonical")
    con.close()
    problems = list(zip(report.problems["severity"], report.problems["row"], report.problems["problem"], strict=True))
    assert problems == [
        ("error", 4, "unknown contact: not in the files nor the database"),
        ("warning", 2, "after the last deal of account A2 closed (2026-03-01): kept, but no deal counts it"),
    ]


def test_a_database_held_open_read_only_gets_a_clear_error(tmp_path, fixture_db):
    held = duckdb.connect(str(fixture_db), read_only=True)  # as the dashboard holds it
    with pytest.raises(ImportFailed, match="Can't open .* for writing"):
        import_files(fixture_db, files(tmp_path), "canonical")
    held.close()


def _block_allocator(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_setting('block_allocator_memory')").fetchone()[0]


def test_an_import_that_opens_the_database_lets_its_block_allocator_keep_the_budget(tmp_path, fixture_db):
    # a connection held beside the import shares its database instance (DuckDB caches one per file
    # and configuration), so the setting the import made can be read after it closed its own
    held = duckdb.connect(str(fixture_db))
    try:
        assert _block_allocator(held) == "0 bytes"
        assert import_files(fixture_db, files(tmp_path), "canonical").ok
        assert _block_allocator(held) == "1.3 GiB"  # load.MEMORY_LIMIT, 1.5 GB
    finally:
        held.close()


def test_an_import_on_the_dashboards_shared_connection_leaves_its_block_allocator_alone(tmp_path, fixture_db):
    # the block allocator never gives its pages back: on the dashboard's one connection it would
    # hold 1.5 GB for as long as the app runs
    shared = db.open_shared(fixture_db)
    try:
        assert import_files(fixture_db, files(tmp_path), "canonical").ok
        assert _block_allocator(shared.cursor()) == "0 bytes"
    finally:
        db.close_shared(fixture_db)
