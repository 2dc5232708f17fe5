"""A clean CSV file is read once, straight into its mapped table (StagedTable.deferred), instead of
into a staged text table first and mapped from there. A file the usual read has to number (a
rejected line), can't split, or that changed while it was read goes the usual way, with the same
report. The fixture's accounts are A1-A6 (tests/fixture.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers import checksums, refused, write

from closedloop.importer import import_files, validate
from closedloop.importer.stages.matching import Matching

TP_HEADER = "touchpoint_id,occurred_at,account_id,contact_id,team,channel,touchpoint_type,campaign_id,asset\n"


def touch(i: int, occurred_at: str = "2026-03-20 10:00") -> str:
    return f"T9{i},{occurred_at},A1,,marketing,paid_search,ad_click,C1,\n"


@pytest.fixture
def usual_reads(monkeypatch):
    """The files staged the usual way after their read was deferred (Matching._finish_read)."""
    files: list[str] = []
    real = Matching._finish_read

    def counted(self, fi, staged):
        files.append(staged.file)
        return real(self, fi, staged)

    monkeypatch.setattr(Matching, "_finish_read", counted)
    return files


@pytest.fixture
def one_reads(monkeypatch):
    """The files read straight into their mapped table (Matching._read_into_mapping said so)."""
    files: list[str] = []
    real = Matching._read_into_mapping

    def counted(self, fi, staged, source):
        done = real(self, fi, staged, source)
        if done:
            files.append(staged.file)
        return done

    monkeypatch.setattr(Matching, "_read_into_mapping", counted)
    return files


def problems_of(fixture_db, path):
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        return validate(con, [path], "canonical").problems
    finally:
        con.close()


def test_a_clean_file_is_read_into_its_mapping_and_imported_exactly(tmp_path, fixture_db, usual_reads, one_reads):
    f = write(tmp_path, "touchpoints.csv", TP_HEADER + touch(1) + touch(2, " 2026-03-21 11:30 ") + touch(3))
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok, result.report.lines()
    assert (result.rows_read, result.rows_inserted) == (3, 3)
    assert (one_reads, usual_reads) == (["touchpoints.csv"], [])
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        got = con.execute(
            "select touchpoint_id, strftime(occurred_at, '%Y-%m-%d %H:%M'), account_id, contact_id, channel "
            "from touchpoints where touchpoint_id like 'T9_' order by 1"
        ).fetchall()
    finally:
        con.close()
    assert got == [
        ("T91", "2026-03-20 10:00", "A1", None, "paid_search"),
        ("T92", "2026-03-21 11:30", "A1", None, "paid_search"),  # the spaces around the value trimmed
        ("T93", "2026-03-20 10:00", "A1", None, "paid_search"),
    ]


def test_a_bad_value_is_reported_on_its_spreadsheet_row(tmp_path, fixture_db, usual_reads, one_reads):
    # rows 2, 3 and 4 (the header is row 1); row 4's date can't be read, row 3's account is unknown
    f = write(tmp_path, "touchpoints.csv", TP_HEADER + touch(1) + touch(2).replace("A1", "A99") + touch(3, "tomorrow"))
    p = problems_of(fixture_db, f)
    errors = p[p["severity"] == "error"].sort_values("row")
    assert list(zip(errors["row"], errors["column"], errors["value"], strict=True)) == [
        (3, "account_id", "A99"),
        (4, "occurred_at", "tomorrow"),
    ]
    assert (one_reads, usual_reads) == (["touchpoints.csv"], [])


def test_a_rejected_line_sends_the_file_the_usual_way_with_the_same_rows(tmp_path, fixture_db, usual_reads, one_reads):
    # row 3 has a value too many (DuckDB's reader rejects the line); row 5's date can't be read
    text = TP_HEADER + touch(1) + touch(2).replace("\n", ",extra\n") + touch(3) + touch(4, "never")
    f = write(tmp_path, "touchpoints.csv", text)
    p = problems_of(fixture_db, f)
    errors = p[p["severity"] == "error"].sort_values("row")
    assert list(errors["row"]) == [3, 5]
    assert errors.iloc[0]["problem"] == "the row has more values than the header"
    assert (errors.iloc[1]["column"], errors.iloc[1]["value"]) == ("occurred_at", "never")
    assert (one_reads, usual_reads) == ([], ["touchpoints.csv"])


def test_a_file_rewritten_during_the_read_is_refused(tmp_path, fixture_db, usual_reads):
    f = write(tmp_path, "touchpoints.csv", TP_HEADER + touch(1) + touch(2))
    before = checksums(fixture_db)
    calls: list[str] = []

    def progress(fraction: float, message: str) -> None:
        calls.append(message)
        # the first "Reading" comes before the read, the second when it has ended (before the check)
        if message.startswith("Reading") and sum(c.startswith("Reading") for c in calls) == 2:
            f.write_text(TP_HEADER + touch(1) + touch(2).replace("A1", "A2"))

    result = import_files(fixture_db, [f], "canonical", progress=progress)
    assert not result.ok
    assert "changed while it was read" in result.report.problems["problem"].iloc[0]
    assert checksums(fixture_db) == before
    assert usual_reads == ["touchpoints.csv"]


def test_a_file_with_no_rows_is_an_error_either_way(tmp_path, fixture_db):
    problems = refused(fixture_db, [write(tmp_path, "touchpoints.csv", TP_HEADER)])
    assert list(problems["problem"]) == ["the file has a header but no data rows"]


def test_a_source_with_skip_rules_is_staged_the_usual_way(tmp_path, fixture_db, usual_reads, one_reads):
    # rows a mapping leaves out would shift the numbering by order: such a source reads the usual way
    canonical = (Path(__file__).parents[1] / "mappings" / "canonical.toml").read_text()
    mapping = write(
        tmp_path,
        "skips.toml",
        canonical.replace('files = ["touchpoints*"]', 'files = ["touchpoints*"]\nskip_if_empty = ["campaign_id"]'),
    )
    f = write(tmp_path, "touchpoints.csv", TP_HEADER + touch(1) + touch(2).replace("C1", "") + touch(3, "never"))
    result = import_files(fixture_db, [f], mapping)
    assert not result.ok
    problems = result.report.problems
    errors = problems[problems["severity"] == "error"]
    assert list(zip(errors["row"], errors["value"], strict=True)) == [(4, "never")]
    assert (one_reads, usual_reads) == ([], ["touchpoints.csv"])


def test_the_read_reports_its_progress_before_the_checks(tmp_path, fixture_db):
    f = write(tmp_path, "touchpoints.csv", TP_HEADER + touch(1) + touch(2))
    seen: list[tuple[float, str]] = []
    result = import_files(fixture_db, [f], "canonical", progress=lambda x, m: seen.append((x, m)))
    assert result.ok
    # the read of the only file is the first half of the bar: it starts at 0 and ends at 0.5
    reading = [x for x, m in seen if m == "Reading touchpoints.csv"]
    assert reading[0] == 0.0 and reading[-1] == 0.5
    # the bar reaches half way when the read has ended, not before it starts
    assert next(m for x, m in seen if x >= 0.5) == "Reading touchpoints.csv"
    assert seen.index((0.5, "Reading touchpoints.csv")) < [m for _, m in seen].index("Checking rows")
    assert [x for x, _ in seen] == sorted(x for x, _ in seen)
