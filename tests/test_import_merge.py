"""Issue 11: rules checked across files and against the database, row filters by value, exports
without dates, and the schema upgrade. Figures worked out by hand on tests/fixture.py."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from closedloop import db
from closedloop.importer import MappingError, import_files, parse_mapping, validate
from closedloop.importer.load import table_checksums

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def problems(result, severity: str):
    p = result.report.problems
    return p[p["severity"] == severity].reset_index(drop=True)


def test_a_close_before_a_creation_in_the_database_is_refused(tmp_path, fixture_db):
    # D01 was created 2026-01-05 (in the database); this file only closes it, on 2026-01-01
    f = write(tmp_path, "deals.csv", "deal_id,outcome,closed_at\nD01,won,2026-01-01\n")
    con = duckdb.connect(str(fixture_db))
    before = table_checksums(con)
    result = import_files(con, [f], "canonical")
    assert not result.ok and table_checksums(con) == before
    con.close()
    e = problems(result, "error")
    assert len(e) == 1
    assert (e["file"][0], e["row"][0], e["value"][0]) == ("deals.csv", 2, "2026-01-01 00:00 < 2026-01-05 00:00")
    assert e["problem"][0] == (
        "the deal closed before it was created: closed_at from row 2 of deals.csv, created_at from the database"
    )


def test_an_outcome_without_close_dates_uses_the_close_in_the_database(tmp_path, fixture_db):
    # D03 (lost, closed 2026-02-20) turns won and keeps its close; D10 is open with no close, and the
    # file has no close date column: one error that says what to do
    f = write(tmp_path, "deals.csv", "deal_id,outcome\nD03,won\nD10,won\n")
    result = import_files(fixture_db, [f], "canonical")
    e = problems(result, "error")
    assert not result.ok and list(e["row"]) == [3]
    assert e["problem"][0].startswith("a won or lost deal needs a close date: this file has no close date column")
    result = import_files(fixture_db, [write(tmp_path, "deals.csv", "deal_id,outcome\nD03,won\n")], "canonical")
    assert result.ok and result.rows_updated == 1
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select outcome, closed_at from deals where deal_id = 'D03'").fetchall() == [
        ("won", datetime(2026, 2, 20))
    ]
    con.close()


def test_a_deal_reopened_by_a_file_without_close_dates_loses_its_close(tmp_path, fixture_db):
    # D03 (lost, closed 2026-02-20) is re-opened by a file with no close date column: an open deal has
    # no close, so its old one is cleared; D01, already won, stays won and keeps its close
    before = duckdb.connect(str(fixture_db), read_only=True)
    d01 = before.execute("select outcome, closed_at from deals where deal_id = 'D01'").fetchall()
    before.close()
    f = write(tmp_path, "deals.csv", "deal_id,outcome\nD03,open\nD01,won\n")
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok and result.rows_updated == 1
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select outcome, closed_at from deals where deal_id = 'D03'").fetchall() == [("open", None)]
    assert con.execute("select outcome, closed_at from deals where deal_id = 'D01'").fetchall() == d01
    con.close()


def test_a_win_before_the_accounts_first_touch_in_the_database_is_reported(tmp_path, fixture_db):
    # Cobalt Credit (A3)'s touches are in the database, the first on 2026-01-02 10:00; D31 arrives
    # alone, won on 2025-12-20: before this check nothing said so
    f = write(
        tmp_path,
        "deals.csv",
        "deal_id,account_id,created_at,closed_at,outcome\n"
        "D31,A3,2025-12-01,2025-12-20,won\n"
        "D32,A3,2025-12-01,2026-01-03,won\n",
    )
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok
    w = problems(result, "warning")
    assert list(w["row"]) == [2]
    assert w["problem"][0] == (
        "the deal closed (2025-12-20) before the first touch of account A3 (2026-01-02): no touch counts for it"
    )


def test_touches_after_a_close_in_the_database_are_reported(tmp_path, fixture_db):
    # the other half: Fjord Labs (A6) has only closed deals, the last closed 2026-02-28
    f = write(
        tmp_path,
        "touchpoints.csv",
        "touchpoint_id,occurred_at,account_id,team,channel,touchpoint_type\nT90,2026-03-02,A6,sales,sales,sales_call\n",
    )
    result = import_files(fixture_db, [f], "canonical")
    w = problems(result, "warning")
    assert result.ok and w["problem"][0].startswith("after the last deal of account A6 closed (2026-02-28)")


LEADS = """Prospect ID,Lead Source,Converted,Ebook,Status
p1,Google,1,Yes,ok
p2,Olark Chat,0,No,ok
p3,Google,0,yes,Test
p4,,1,Y,ok
"""

MAPPING = """
name = "filters"
[[sources]]
name = "touches"
table = "touchpoints"
files = ["*lead*"]
as_of = "2024-06-30"
keep_if = {{ Ebook = ["yes", "y"] }}
skip_if = {{ Status = ["test"] }}
{extra}
[sources.columns]
touchpoint_id = {{ from = "Prospect ID", prefix = "ebook-" }}
account_id = "Prospect ID"
team = {{ const = "marketing" }}
channel = {{ const = "content" }}
touchpoint_type = {{ const = "ebook_download" }}

[[sources]]
name = "accounts"
table = "accounts"
companion_of = "touches"
[sources.columns]
account_id = "Prospect ID"
name = "Prospect ID"
"""


def test_keep_if_and_skip_if_count_every_row_they_leave_out(tmp_path):
    f = write(tmp_path, "leads.csv", LEADS)
    result = import_files(tmp_path / "x.duckdb", [f], parse_mapping(MAPPING.format(extra="")))
    assert result.ok
    # kept: p1 (Yes) and p4 (Y); p2 skipped by keep_if (No), p3 by skip_if (Status Test)
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    assert con.execute("select touchpoint_id from touchpoints order by 1").fetchall() == [("ebook-p1",), ("ebook-p4",)]
    assert con.execute("select rows_skipped, skipped_why from import_log").fetchall() == [
        (2, "touchpoints: 1 keep_if: not ('Ebook' is 'yes' or 'y'); 1 skip_if: 'Status' is 'test'")
    ]
    con.close()
    counts = result.report.counts.set_index("table")
    assert (counts.loc["touchpoints", "rows"], counts.loc["touchpoints", "rows_skipped"]) == (4, 2)
    assert counts.loc["accounts", "rows_skipped"] == 0
    # the filter on a column the file lacks refuses the file, naming it
    bad = write(tmp_path, "leads_2.csv", LEADS.replace("Ebook", "Book"))
    report = validate(duckdb.connect(), [bad], parse_mapping(MAPPING.format(extra="")))
    assert not report.ok and "missing column 'Ebook', needed for which rows to keep" in report.problems["problem"][0]


def test_rows_an_insert_missing_source_drops_for_lack_of_a_key_are_counted(tmp_path):
    # the old workaround: an empty id and insert_missing; p2 and p3 had no id, so 2 rows skipped
    mapping = (
        MAPPING.format(extra='mode = "insert_missing"')
        .replace('keep_if = { Ebook = ["yes", "y"] }\nskip_if = { Status = ["test"] }\n', "")
        .replace(
            'touchpoint_id = { from = "Prospect ID", prefix = "ebook-" }',
            'touchpoint_id = { from = "Prospect ID", prefix = "ebook-", only_if = { Ebook = ["yes"] } }',
        )
    )
    result = import_files(tmp_path / "x.duckdb", [write(tmp_path, "leads.csv", LEADS)], parse_mapping(mapping))
    assert result.ok and result.rows_skipped == 2
    assert "2 row(s) skipped for touchpoints" in " ".join(problems(result, "warning")["problem"])


def test_as_of_is_checked_when_the_mapping_is_read():
    with pytest.raises(MappingError, match="as_of must be a date"):
        parse_mapping(MAPPING.format(extra="").replace('as_of = "2024-06-30"', 'as_of = "June"'))
    with_date = MAPPING.format(extra="").replace(
        'account_id = "Prospect ID"\nteam', 'occurred_at = "Date"\naccount_id = "Prospect ID"\nteam', 1
    )
    with pytest.raises(MappingError, match="can't be used with occurred_at read from the file"):
        parse_mapping(with_date)
    accounts = (
        'name = "a"\n[[sources]]\ntable = "accounts"\nfiles = ["*"]\nas_of = "2024-01-01"\n'
        '[sources.columns]\naccount_id = "Id"\nname = "Id"\n'
    )
    with pytest.raises(MappingError, match="as_of is for the tables whose rows carry dates .*, not accounts"):
        parse_mapping(accounts)


def test_a_dated_import_clears_dates_unknown(tmp_path):
    path = tmp_path / "x.duckdb"
    assert import_files(path, [write(tmp_path, "leads.csv", LEADS)], parse_mapping(MAPPING.format(extra=""))).ok
    dated = write(
        tmp_path,
        "touchpoints.csv",
        "touchpoint_id,occurred_at,account_id,team,channel,touchpoint_type\n"
        "ebook-p1,2024-05-02,p1,marketing,content,ebook_download\n",
    )
    assert import_files(path, [dated], "canonical").ok
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select touchpoint_id, occurred_at, dates_unknown from touchpoints order by 1").fetchall() == [
        ("ebook-p1", datetime(2024, 5, 2), False),
        ("ebook-p4", datetime(2024, 6, 30), True),
    ]
    con.close()


V1_SCHEMA = """
create table schema_info (key varchar primary key, value varchar not null);
insert into schema_info values ('schema_version', '1');
create table deals (deal_id varchar primary key, account_id varchar, name varchar, owner varchar,
    created_at timestamp, closed_at timestamp, stage varchar, outcome varchar not null, amount double);
insert into deals values ('D1', 'A1', 'Old', 'Al', '2026-01-01', '2026-01-31', 'won', 'won', 10);
create table touchpoints (touchpoint_id varchar primary key, occurred_at timestamp not null,
    account_id varchar not null, contact_id varchar, team varchar not null, channel varchar not null,
    touchpoint_type varchar not null, campaign_id varchar, asset varchar);
create table leads (lead_id varchar primary key, contact_id varchar, account_id varchar,
    source_channel varchar, created_at timestamp not null, mql_at timestamp, assigned_at timestamp,
    owner varchar, first_follow_up_at timestamp, accepted_at timestamp, disqualified_at timestamp,
    disqualify_reason varchar, campaign_id varchar);
create table import_log (import_id bigint primary key, imported_at timestamp not null, files varchar not null,
    mapping varchar not null, rows_read bigint not null, rows_inserted bigint not null,
    rows_updated bigint not null, rows_rejected bigint not null);
"""


def test_refresh_upgrades_a_version_1_database(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(V1_SCHEMA)
    con.close()
    out = subprocess.run(
        [sys.executable, "-m", "closedloop", "refresh", "--db", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Upgraded the schema of {path} from version 1 to {db.SCHEMA_VERSION}." in out
    con = duckdb.connect(str(path), read_only=True)
    assert db.schema_version(con) == db.SCHEMA_VERSION
    assert con.execute("select deal_id, dates_unknown from deals").fetchall() == [("D1", False)]
    cols = {
        r[0] for r in con.execute("select column_name from duckdb_columns() where table_name = 'import_log'").fetchall()
    }
    assert {"rows_skipped", "skipped_why"} <= cols
    con.close()
