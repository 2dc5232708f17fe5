"""Every preset mapping on small files in the shape the tools export; figures worked out by hand.

The Salesforce and HubSpot files are in tests/data/import/<preset>/; their rows
are described next to each test. The Maven dataset is in tests/data/maven/.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import fixture
import openpyxl
import pytest

from closedloop import db
from closedloop.importer import import_files, list_presets, load_mapping, parse_mapping, read_preview
from closedloop.importer.load import table_checksums

DATA = Path(__file__).resolve().parent / "data"
SF = DATA / "import" / "salesforce"
HS = DATA / "import" / "hubspot"
ROOT = Path(__file__).resolve().parent.parent
CANONICAL = list(db.CANONICAL_TABLES)
DATA_TABLES = CANONICAL + ["retro_notes", "reviews", "review_deals"]


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def export_fixture(tmp_path: Path, formats: dict[str, str] | None = None) -> Path:
    """The fixture database written as our canonical files (CSV unless `formats` says parquet/xlsx)."""
    src = fixture.build(tmp_path / "src.duckdb")
    out = tmp_path / "canonical"
    out.mkdir()
    con = duckdb.connect(str(src), read_only=True)
    for t in CANONICAL:
        fmt = (formats or {}).get(t, "csv")
        # the relational API names the table without writing SQL text
        rel = con.table(t)
        if fmt == "csv":
            rel.write_csv(str(out / (t + ".csv")), header=True)
        elif fmt == "parquet":
            rel.write_parquet(str(out / (t + ".parquet")))
        else:
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.append(rel.columns)
            for row in rel.fetchall():
                ws.append(list(row))
            wb.save(out / f"{t}.xlsx")
    con.close()
    return src


def test_presets_are_listed_and_loadable():
    names = [p.name for p in list_presets()]
    assert names == ["canonical", "hubspot", "maven", "salesforce"]
    assert all(p.description for p in list_presets())
    assert load_mapping("salesforce").source("opportunities").table == "deals"


@pytest.mark.parametrize(
    "formats", [None, {"deals": "parquet", "touchpoints": "parquet", "accounts": "xlsx", "leads": "xlsx"}]
)
def test_canonical_round_trip_reproduces_the_fixture_exactly(tmp_path, formats):
    src = export_fixture(tmp_path, formats)
    result = import_files(tmp_path / "new.duckdb", [tmp_path / "canonical"], "canonical")
    assert result.ok, result.report.lines()
    assert result.rows_read == 7 + 8 + 9 + 6 + 24 + 12 + 13 + 34 == result.rows_inserted
    # the only warning: T10 came after A2's last deal closed (row 11 = the 10th touch)
    warnings = result.report.problems
    assert list(zip(warnings["file"], warnings["row"], strict=True)) == [
        (f"touchpoints.{(formats or {}).get('touchpoints', 'csv')}", 11)
    ]
    a = duckdb.connect(str(src), read_only=True)
    b = duckdb.connect(str(tmp_path / "new.duckdb"), read_only=True)
    before, after = table_checksums(a), table_checksums(b)
    assert {t: before[t] for t in DATA_TABLES} == {t: after[t] for t in DATA_TABLES}
    a.close()
    b.close()


def test_salesforce_reports_import_with_their_figures(tmp_path):
    result = import_files(tmp_path / "sf.duckdb", [SF], "salesforce")
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(tmp_path / "sf.duckdb"), read_only=True)
    # Opportunities: A1 won 100,000 ("USD 100,000.00"), A2 lost, B1 open (its Close Date 4/30 is
    # the expected close: not stored), C1 won 10,000. Won revenue 110,000; closed win rate 2/3.
    assert q(con, "select outcome, count(*), sum(amount) from deals group by 1 order by 1") == [
        ("lost", 1, 50000.0),
        ("open", 1, 40000.0),
        ("won", 2, 110000.0),
    ]
    assert q(con, "select closed_at from deals where outcome = 'open'") == [(None,)]
    assert one(con, "select created_at from deals where name = 'Acme platform'") == datetime(2026, 1, 5)
    # the footer of the report (a blank line and 5 one-value lines) is not data
    assert any("report footer" in p for p in result.report.problems["problem"])
    # Accounts: 2 from the Accounts report, Cobalt Credit added from the Opportunities report
    assert q(con, "select name, employees, region from accounts order by name") == [
        ("Acme Corp", 5000, "United States"),
        ("Borealis GmbH", 800, "Germany"),
        ("Cobalt Credit", None, None),
    ]
    # Contact roles: Kim and Raj on Acme platform, Ana on Cobalt pilot; contacts also come from
    # campaign members (Eva's colleague K5 at Borealis): 4 contacts in all
    assert q(con, "select role from deal_contacts order by role") == [
        ("Decision Maker",),
        ("Economic Buyer",),
        ("Influencer",),
    ]
    assert one(con, "select count(*) from contacts") == 4
    # Campaigns with their actual cost
    assert q(con, "select name, channel, cost from campaigns order by name") == [
        ("Data Summit", "event", 20000.0),
        ("Nurture emails", "email", 1000.0),
        ("Q1 Webinar", "webinar", 3000.0),
    ]
    # Campaign members: 6 rows, one never responded, one a lead without account: 4 touches
    assert q(con, "select touchpoint_type from touchpoints where team = 'marketing' order by 1") == [
        ("email_click",),
        ("event_attended",),
        ("webinar_attended",),
        ("webinar_registered",),
    ]
    # Tasks and events: 6 rows, one without account: 5 sales touches; the meeting at 2:30 PM
    assert q(con, "select touchpoint_type, count(*) from touchpoints where team = 'sales' group by 1 order by 1") == [
        ("sales_call", 3),
        ("sales_email", 1),
        ("sales_meeting", 1),
    ]
    assert one(con, "select occurred_at from touchpoints where asset = 'Onsite demo'") == datetime(2026, 2, 12, 14, 30)
    # skipped rows are counted per table: touchpoints 3 (a member who never responded, a member
    # lead without account, a task without account); contacts 6 (the stubs of those 3 rows; 2 leads
    # not converted to a contact; a task without a contact); accounts 2 (leads not converted)
    assert result.rows_skipped == 11
    skipped = result.report.counts.set_index("table")["rows_skipped"].to_dict()
    assert (skipped["touchpoints"], skipped["contacts"], skipped["accounts"], skipped["deals"]) == (3, 6, 2, 0)
    # the call on 3/20 came after Cobalt's only deal closed on 2/20: kept, with a warning on its row
    late = result.report.problems[result.report.problems["problem"].str.startswith("after the last deal")]
    assert list(zip(late["file"], late["row"], strict=True)) == [("tasks_and_events.csv", 6)]
    assert one(con, "select count(*) from touchpoints where asset = 'Call after the close'") == 1
    # Leads: converted L1 (contact K1), L2 disqualified, L3 working
    assert q(con, "select source_channel, disqualify_reason, created_at from leads order by lead_id") == [
        ("website", None, datetime(2025, 12, 1, 12)),
        ("event", "Closed - Not Converted", datetime(2026, 1, 9, 9)),
        ("webinar", None, datetime(2026, 2, 20, 16, 30)),
    ]
    con.close()


def test_salesforce_xlsx_export_with_a_title_block(tmp_path):
    """The same Opportunities report saved as a formatted .xlsx: a title above the header, typed cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Opportunities report"])
    ws.append([])
    ws.append(
        [
            "Opportunity ID",
            "Opportunity Name",
            "Account ID",
            "Account Name",
            "Stage",
            "Amount",
            "Created Date",
            "Close Date",
            "Won",
            "Closed",
        ]
    )
    ws.append(
        [
            "006X1",
            "Big deal",
            "001X1",
            "Xeno Ltd",
            "Closed Won",
            1234.5,
            datetime(2026, 1, 5),
            datetime(2026, 2, 1),
            1,
            1,
        ]
    )
    ws.append(
        ["006X2", "Next deal", "001X1", "Xeno Ltd", "Prospecting", 99, datetime(2026, 2, 5), datetime(2026, 6, 1), 0, 0]
    )
    wb.save(tmp_path / "opportunities.xlsx")
    result = import_files(tmp_path / "x.duckdb", [tmp_path / "opportunities.xlsx"], "salesforce")
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    assert q(con, "select deal_id, outcome, amount, closed_at from deals order by 1") == [
        ("006X1", "won", 1234.5, datetime(2026, 2, 1)),
        ("006X2", "open", 99.0, None),
    ]
    assert q(con, "select account_id, name from accounts") == [("001X1", "Xeno Ltd")]
    con.close()
    preview = read_preview(tmp_path / "opportunities.xlsx")
    assert list(preview["row"]) == [4, 5]  # the spreadsheet's own row numbers


def test_hubspot_exports_import_with_their_figures(tmp_path):
    result = import_files(tmp_path / "hs.duckdb", [HS], "hubspot")
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(tmp_path / "hs.duckdb"), read_only=True)
    assert q(con, "select account_id, name, employees from accounts order by 1") == [
        ("101", "Acme Corp", 5000),
        ("102", "Borealis GmbH", 800),
    ]
    # Eva (203) lists two companies "102;101": her account is the first
    assert q(con, "select contact_id, account_id from contacts order by 1") == [
        ("201", "101"),
        ("202", "101"),
        ("203", "102"),
    ]
    # Closed Won / Closed Lost / Contract Sent (open: its close date is not stored)
    assert q(con, "select deal_id, outcome, amount, closed_at from deals order by 1") == [
        ("301", "won", 100000.0, datetime(2026, 2, 10)),
        ("302", "lost", 40000.0, datetime(2026, 3, 1)),
        ("303", "open", 50000.0, None),
    ]
    # "Associated Contact IDs" 201;202 and 203 become three contact roles
    assert q(con, "select deal_id, contact_id from deal_contacts order by 1, 2") == [
        ("301", "201"),
        ("301", "202"),
        ("302", "203"),
    ]
    # 7 activities, one page view without a company: 6 touches
    assert q(con, "select channel, touchpoint_type from touchpoints order by occurred_at") == [
        ("website", "form_submission"),
        ("email", "email_click"),
        ("paid_search", "ad_click"),
        ("paid_social", "ad_view"),
        ("website", "website_visit"),
        ("email", "email_open"),
    ]
    # the page view without a company: skipped for touchpoints and for the contact stubs
    assert result.rows_skipped == 2
    late = result.report.problems[result.report.problems["problem"].str.startswith("after the last deal")]
    assert list(late["row"]) == [8]  # the March newsletter, after Borealis closed lost on 3/1
    con.close()


def test_time_zones_convert_times_to_utc_but_keep_calendar_dates(tmp_path):
    text = load_mapping("hubspot").text.replace('timezone = "UTC"', 'timezone = "America/New_York"', 1)
    mapping = parse_mapping(text, "hubspot_ny")
    result = import_files(
        tmp_path / "tz.duckdb", [HS / "contacts.csv", HS / "companies.csv", HS / "deals.csv"], mapping
    )
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(tmp_path / "tz.duckdb"), read_only=True)
    assert one(con, "select created_at from contacts where contact_id = '201'") == datetime(2025, 12, 1, 17)
    assert one(con, "select created_at from deals where deal_id = '301'") == datetime(2026, 1, 5)
    con.close()


def test_offsets_in_timestamps_are_honoured(tmp_path):
    (tmp_path / "contacts.csv").write_text(
        "contact_id,created_at\nK1,2026-01-05T10:00:00+02:00\nK2,2026-01-05T10:00:00Z\nK3,2026-01-05 10:00\n"
    )
    assert import_files(tmp_path / "o.duckdb", [tmp_path / "contacts.csv"], "canonical").ok
    con = duckdb.connect(str(tmp_path / "o.duckdb"), read_only=True)
    assert q(con, "select hour(created_at) from contacts order by contact_id") == [(8,), (10,), (10,)]
    con.close()


def test_maven_dataset_imports_with_its_known_figures(tmp_path):
    db_path = tmp_path / "maven.duckdb"
    result = import_files(db_path, [DATA / "maven"], "maven")
    assert result.ok, result.report.lines()
    assert set(result.report.files.loc[result.report.files["source"] == "ignored by the mapping", "file"]) == {
        "products.csv",
        "sales_teams.csv",
        "data_dictionary.csv",
        "README.md",
    }
    con = duckdb.connect(str(db_path), read_only=True)
    assert one(con, "select count(*) from deals") == 8800
    assert q(con, "select outcome, count(*) from deals group by 1 order by 1") == [
        ("lost", 2473),
        ("open", 2089),
        ("won", 4238),
    ]
    win_rate = one(
        con, "select count(*) filter (where outcome = 'won') / count(*) filter (where outcome <> 'open') from deals"
    )
    assert round(win_rate, 4) == 0.6315
    # the traps: GTXPro is GTX Pro, "technolgy" is technology, open deals lack account and dates
    assert one(con, "select count(*) from deals where name = 'GTXPro'") == 0
    assert one(con, "select count(*) from deals where name = 'GTX Pro'") == 1480
    assert q(con, "select count(*) from accounts where industry in ('technolgy', 'technology')") == [(12,)]
    assert one(con, "select count(*) from accounts where industry = 'technolgy'") == 0
    assert one(con, "select count(*) from deals where account_id is null") == 1425
    assert one(con, "select count(*) filter (where outcome = 'open' and account_id is not null) from deals") == 664
    assert one(con, "select count(*) from deals where created_at is null") == 500  # Prospecting
    assert one(con, "select count(*) from deals where outcome = 'open' and closed_at is not null") == 0
    assert one(con, "select sum(amount) from deals where outcome = 'won'") == 10005534
    con.close()
    again = import_files(db_path, [DATA / "maven"], "maven")
    assert again.rows_inserted == 0 and again.rows_updated == 0 and again.rows_unchanged == 8885


def _headers_read(preset: str) -> set[str]:
    m = load_mapping(preset)
    out: set[str] = set()
    for s in m.sources:
        out |= set(s.signature) | set(s.skip_if_empty) | ({s.explode[0]} if s.explode else set())
        for c in s.columns:
            out |= set(c.columns_read())
    return out


@pytest.mark.parametrize("preset", ["salesforce", "hubspot", "maven"])
def test_docs_name_every_column_each_preset_reads(preset):
    docs = (ROOT / "docs" / "import.md").read_text()
    section = docs.split(f"## Preset `{preset}`", 1)[1].split("\n## ", 1)[0]
    quoted = set(re.findall(r"`([^`]+)`", section))
    missing = sorted(_headers_read(preset) - quoted)
    assert not missing, f"docs/import.md, preset {preset}, doesn't name: {missing}"


def test_a_workbook_with_one_sheet_per_table(tmp_path):
    wb = openpyxl.Workbook()
    deals = wb.active
    deals.title = "Deals"
    deals.append(["deal_id", "account_id", "outcome", "created_at", "closed_at", "amount"])
    deals.append(["D1", "A1", "won", datetime(2026, 1, 5), datetime(2026, 2, 1, 15, 30), 1000])
    accounts = wb.create_sheet("Accounts")
    accounts.append(["account_id", "name", "employees"])
    accounts.append(["A1", "Acme", 120.0])
    wb.create_sheet("Notes").append(["Exported by hand, do not edit"])
    wb.save(tmp_path / "book.xlsx")
    result = import_files(tmp_path / "w.duckdb", [tmp_path / "book.xlsx"], "canonical")
    assert result.ok, result.report.lines()
    files = result.report.files
    assert list(zip(files["file"], files["table"].fillna(""), strict=True)) == [
        ("book.xlsx [Deals]", "deals"),
        ("book.xlsx [Accounts]", "accounts"),
        ("book.xlsx [Notes]", ""),
    ]
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert q(con, "select closed_at, amount from deals") == [(datetime(2026, 2, 1, 15, 30), 1000.0)]
    assert q(con, "select employees from accounts") == [(120,)]
    con.close()
