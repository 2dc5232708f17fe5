"""Many sessions, one database (issue 12): one read-write connection per process, a cursor per
query, short retried write transactions, idempotent saves, and one clear message for other programs."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from closedloop import db
from closedloop.filters import Filters, quarter_bounds
from closedloop.meeting import notes, reviews

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared(fixture_db):
    con = db.open_shared(fixture_db)
    yield con
    db.close_shared(fixture_db)


def count(con, sql, **params):
    return con.cursor().execute(sql, params).fetchone()[0]


def test_opening_the_file_by_path_inside_the_app_is_a_cursor_and_closing_it_closes_nothing_else(shared, fixture_db):
    reader = db.connect(fixture_db)  # read_only asked: before, "different configuration" in the app
    writer = db.connect(fixture_db, read_only=False)
    writer.close()  # before: ui/common.write() closed the connection every session shared
    assert reader.execute("select count(*) from deals").fetchone()[0] == 12
    assert count(shared, "select count(*) from deals") == 12


def test_a_resubmitted_note_is_stored_once(shared, fixture_db):
    first = notes.add_note(fixture_db, "D01", "sales", "critical", "the demo", submission_id="form-1")
    again = notes.add_note(fixture_db, "D01", "sales", "critical", "the demo", submission_id="form-1")
    other = notes.add_note(fixture_db, "D01", "sales", "critical", "the demo", submission_id="form-2")
    assert again == first and other == first + 1
    assert count(shared, "select count(*) from retro_notes where deal_id = 'D01'") == 2
    assert count(shared, "select count(*) from note_submissions") == 2


def test_a_resubmitted_verdict_is_stored_once(shared, fixture_db):
    q1 = Filters(*quarter_bounds("2026Q1"))
    rid = reviews.create_review(fixture_db, "Q1 won", q1, selection="won")
    for _ in range(3):
        reviews.record_verdict(fixture_db, rid, "D01", "marketing", "helpful", submission_id="rm-1")
    assert count(shared, "select count(*) from retro_notes where review_id = $r", r=rid) == 1


def test_sessions_writing_at_once_lose_nothing_and_store_nothing_twice(shared, fixture_db):
    """12 threads (sessions) save 5 notes each; every submission is sent twice, the way a retry
    after an error would: 60 notes, no more, no fewer, and every thread's reads keep working."""
    errors: list[BaseException] = []

    def session(n: int) -> None:
        try:
            for k in range(5):
                for _ in range(2):
                    notes.add_note(
                        fixture_db,
                        "D0" + str(1 + (n + k) % 8),
                        "marketing",
                        "helpful",
                        f"s{n}-n{k}",
                        submission_id=f"s{n}-n{k}",
                    )
                cur = db.connect(fixture_db)
                try:
                    assert cur.execute("select count(*) from deals").fetchone()[0] == 12
                finally:
                    cur.close()
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert count(shared, "select count(*) from retro_notes") == 60
    assert count(shared, "select count(distinct text) from retro_notes") == 60


def test_a_transaction_conflict_is_retried_and_other_errors_are_not(shared):
    cur = shared.cursor()
    calls = []

    def conflicting(c):
        calls.append(1)
        if len(calls) < 3:
            raise duckdb.TransactionException("TransactionContext Error: Conflict on update!")
        return c.execute("select 42").fetchone()[0]

    assert db.in_transaction(cur, conflicting) == 42
    assert len(calls) == 3
    calls.clear()

    def broken(c):
        calls.append(1)
        c.execute("insert into retro_notes (deal_id, team, verdict) values ('D01', 'sales', 'meh')")

    with pytest.raises(duckdb.ConstraintException):
        db.in_transaction(cur, broken)
    assert len(calls) == 1
    assert count(shared, "select count(*) from retro_notes") == 0
    with pytest.raises(duckdb.TransactionException):
        db.in_transaction(cur, lambda c: (_ for _ in ()).throw(duckdb.TransactionException("x")), retries=2)


def test_another_program_gets_one_clear_message(fixture_db):
    """The dashboard holds the file read-write; the CLI says so in one line, no traceback."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(fixture_db)!r}); print('ok', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        out = subprocess.run(
            [sys.executable, "-m", "closedloop", "refresh", "--db", str(fixture_db)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 2
        assert "Traceback" not in out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: The database ")
        assert "in use by another program" in lines[0] and "Data page" in lines[0]
        with pytest.raises(notes.NoteError, match="open elsewhere"):
            notes.add_note(fixture_db, "D01", "sales", "critical", None)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_the_data_page_validates_an_upload_once(monkeypatch):
    from closedloop import importer
    from ui import common

    state: dict = {}
    calls: list = []
    monkeypatch.setattr(common.st, "session_state", state)
    monkeypatch.setattr(common, "data_version", lambda: (1.0, 0.0, 0))
    monkeypatch.setattr(common, "connection", lambda: duckdb.connect())
    monkeypatch.setattr(importer, "validate", lambda con, files, mapping: calls.append(files) or len(calls))

    class Upload:
        def __init__(self, file_id):
            self.file_id, self.name, self.size = file_id, "deals.csv", 10

    a = [Upload("f1")]
    assert [common.validated(a, "canonical", "toml") for _ in range(3)] == [1, 1, 1]
    assert common.validated([Upload("f2")], "canonical", "toml") == 2  # another upload
    assert common.validated([Upload("f2")], "canonical", "edited toml") == 3  # another mapping
    monkeypatch.setattr(common, "data_version", lambda: (1.0, 0.0, 1))
    assert common.validated([Upload("f2")], "canonical", "edited toml") == 4  # the data changed
    assert len(calls) == 4


def test_every_reader_of_the_app_written_tables_is_re_read_after_a_note():
    """A saved note re-reads only common.NOTE_READERS: every query of retro_notes or the review tables
    must be run from one of them, and no other core module may call into them."""
    import re

    from ui import common

    app_tables = re.compile(r"\b(retro_notes|reviews|review_deals|review_settings|note_submissions)\b")
    readers = {m.replace(".", "/") for m in common.NOTE_READERS}
    core = sorted((ROOT / "closedloop").rglob("*.py"))
    for sql in sorted((ROOT / "queries").glob("*.sql")):
        # macros.sql is not a question: a macro that reads the app's tables counts for every query
        # that calls it (db.macros_for adds the definitions a query uses)
        if sql.stem in ("schema", "macros"):
            continue
        if not app_tables.search(db.strip_comments(sql.read_text()) + db.macros_for(sql.stem)):
            continue
        users = [p for p in core if f'"{sql.stem}"' in p.read_text()]
        assert users, sql.stem
        for p in users:
            rel = str(p.relative_to(ROOT).with_suffix(""))
            assert any(rel == r or rel.startswith(r + "/") for r in readers), (sql.stem, rel)
    leaf = re.compile(
        r"from closedloop\.meeting import|from closedloop\.pages import [^\n]*\bdeal_explorer\b"
        r"|from closedloop\.importer"
    )
    for p in core:
        rel = str(p.relative_to(ROOT).with_suffix(""))
        if (
            any(rel == r or rel.startswith(r + "/") for r in readers)
            or rel.startswith("closedloop/cli")
            or rel.endswith("__main__")
        ):
            continue
        assert not leaf.search(p.read_text()), rel
