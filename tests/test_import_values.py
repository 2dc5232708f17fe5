"""Imports that used to store wrong values without a word (issue 12): encodings, NUL bytes, files
that change while read, pathological lines, currencies, implausible dates, workbook formulas,
merged cells and extra sheets. Each case is refused or reported on its row; nothing is stored wrong."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from helpers import GOOD, HEADER, refused, write

from closedloop.importer import UnreadableFile, import_files, parse_mapping
from closedloop.importer.load import table_checksums
from closedloop.importer.readers import InputFile, stage_file


def errors(problems):
    return problems[problems["severity"] == "error"].reset_index(drop=True)


def one(fixture_db: Path, sql: str):
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- encodings -----------------------------------------------------------------------------------


def test_a_windows_1252_export_is_read_exactly(tmp_path, fixture_db):
    # € – “ ” ’ live in 0x80-0x9F, where Latin-1 has control codes: DuckDB's Latin-1 reader refused them
    name = "Société Générale – “Q1” deal € 5’s"
    data = (HEADER + GOOD.replace("New deal", name)).encode("cp1252")
    assert b"\x80" in data and b"\x96" in data and b"\x93" in data  # €, –, “ really are there
    result = import_files(fixture_db, [write(tmp_path, "deals.csv", data)], "canonical")
    assert result.ok, result.report.lines()
    assert result.report.files["encoding"].tolist() == ["cp1252"]
    assert "read as Windows-1252" in result.report.problems["problem"].iloc[0]
    assert one(fixture_db, "select name from deals where deal_id = 'D20'") == [(name,)]


def test_a_byte_windows_1252_has_no_character_for_is_named_on_its_row(tmp_path, fixture_db):
    data = (HEADER + GOOD + "D21,A1,Caf").encode() + b"\xe9 \x81 \x9d,Alice,2026-04-01,2026-05-01,closed_won,won,5\n"
    e = errors(refused(fixture_db, [write(tmp_path, "deals.csv", data)]))
    assert len(e) == 1
    assert (e.loc[0, "file"], e.loc[0, "row"], e.loc[0, "column"]) == ("deals.csv", 3, "name")
    assert e.loc[0, "problem"] == "byte 0x81, 0x9D can't be read as Windows-1252 (it has no character there)"
    assert "CSV UTF-8" in e.loc[0, "fix"]


def test_a_stray_byte_in_a_utf8_file_is_named(tmp_path, fixture_db):
    # the first 64 KB are UTF-8, so the file is; the stray byte after them is an error on its row
    rows = "".join(f"D{i},A1,Deal é {i},Alice,2026-04-01,2026-05-01,closed_won,won,1000\n" for i in range(100, 1300))
    data = (HEADER + rows).encode() + b"D21,A1,Bad \xff byte,Alice,2026-04-01,2026-05-01,closed_won,won,1\n"
    offset = data.index(b"\xff")
    assert offset > 65536
    e = errors(refused(fixture_db, [write(tmp_path, "deals.csv", data)]))
    assert e.loc[0, "row"] == 1202
    assert e.loc[0, "problem"] == (f"the row holds bytes that aren't valid UTF-8 (byte 0xFF at byte offset {offset:,})")


# --- NUL bytes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("filler_rows", [0, 1500])  # the NUL before, then after, the first 64 KB
def test_a_nul_byte_is_refused_on_its_row_wherever_it_is(tmp_path, fixture_db, filler_rows):
    filler = "".join(
        f"D{i},A1,Deal {i},Alice,2026-04-01,2026-05-01,closed_won,won,1000\n" for i in range(100, 100 + filler_rows)
    )
    data = (HEADER + filler + GOOD).encode() + b"D21,A1,Bad\x00name,Alice,2026-04-01,2026-05-01,closed_won,won,1\n"
    assert (data.index(b"\x00") > 65536) == bool(filler_rows)
    f = write(tmp_path, "deals.csv", data)
    e = errors(refused(fixture_db, [f]))
    assert len(e) == 1
    assert (e.loc[0, "row"], e.loc[0, "column"], e.loc[0, "value"]) == (filler_rows + 3, "name", "Bad␀name")
    assert "NUL byte" in e.loc[0, "problem"]
    # quarantine imports the other rows and counts the bad one
    result = import_files(fixture_db, [f], "canonical", on_error="quarantine")
    assert result.ok and result.rows_rejected == 1 and result.rows_inserted == filler_rows + 1
    assert result.rows_read == filler_rows + 2
    assert one(fixture_db, "select count(*) from deals where deal_id = 'D21'") == [(0,)]
    assert one(fixture_db, "select row_number, column_name from import_rejects") == [(filler_rows + 3, "name")]


def test_a_file_of_binary_data_is_still_refused_whole(tmp_path, fixture_db):
    e = errors(refused(fixture_db, [write(tmp_path, "deals.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")]))
    assert e.loc[0, "problem"] == "the file holds binary data, not text"


# --- a file that changes while it is read ---------------------------------------------------------


def test_a_file_changed_while_read_is_refused(tmp_path):
    f = write(tmp_path, "deals.csv", HEADER + GOOD)
    con = duckdb.connect()

    def rewrite(_fraction: float) -> None:  # called while DuckDB reads the file
        with open(f, "a") as fh:
            fh.write("D21,A1,Added meanwhile,Alice,2026-04-01,,open,open,1\n")

    with pytest.raises(UnreadableFile) as exc:
        stage_file(con, InputFile("deals.csv", f), "t", progress=rewrite)
    assert exc.value.file == "deals.csv" and "changed while it was read" in exc.value.problem
    assert con.execute("select count(*) from duckdb_tables() where table_name like 't%'").fetchone() == (0,)
    con.close()


def test_an_import_of_a_file_rewritten_meanwhile_changes_nothing(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD)
    calls = []

    def progress(fraction: float, message: str) -> None:
        calls.append(message)
        # the first "Reading" comes before the read, the second when it has ended (before the check)
        if message.startswith("Reading") and sum(c.startswith("Reading") for c in calls) == 2:
            f.write_text(HEADER + GOOD.replace("1000", "2000"))

    con = duckdb.connect(str(fixture_db))
    before = table_checksums(con)
    result = import_files(con, [f], "canonical", progress=progress)
    assert not result.ok and table_checksums(con) == before
    con.close()
    assert "changed while it was read" in result.report.problems["problem"].iloc[0]


# --- pathological lines ----------------------------------------------------------------------------


def test_a_line_of_100000_values_is_refused_before_it_is_split(tmp_path, fixture_db):
    # 200 KB: DuckDB took 60 s and 3.3 GB to reject such a line (one reject per extra value)
    f = write(tmp_path, "deals.csv", HEADER + GOOD + ",".join(["x"] * 100_000) + "\n" + GOOD.replace("D20", "D21"))
    e = errors(refused(fixture_db, [f]))
    assert len(e) == 1 and e.loc[0, "file"] == "deals.csv"
    assert e.loc[0, "problem"].startswith("line 3 holds 100,000 values but the header names 9")
    assert "text editor at that line" in e.loc[0, "fix"]


def test_many_delimiters_inside_quotes_are_one_value(tmp_path, fixture_db):
    notes = ",".join(["a"] * 1500)  # a quoted text with 1,499 commas is one value, not a broken line
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace("New deal", f'"{notes}"'))
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok, result.report.lines()
    assert one(fixture_db, "select length(name) from deals where deal_id = 'D20'") == [(len(notes),)]


def test_a_header_of_5000_columns_is_refused(tmp_path, fixture_db):
    head = ",".join(f"c{i}" for i in range(5000)) + "\n"
    e = errors(refused(fixture_db, [write(tmp_path, "deals.csv", head + ",".join("x" * 5000) + "\n")]))
    assert e.loc[0, "problem"] == "the header has 5,000 columns; at most 4,096 are read"


# --- currencies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "currency"),
    [("EUR 1,000.00", "EUR"), ("£500", "GBP"), ("JPY 150,000", "JPY"), ("150,000 JPY", "JPY"), ("¥150000", "¥")],
)
def test_an_amount_in_another_currency_is_refused_on_its_row(tmp_path, fixture_db, written, currency):
    f = write(tmp_path, "deals.csv", HEADER + GOOD + GOOD.replace("D20", "D21").replace(",1000", f',"{written}"'))
    e = errors(refused(fixture_db, [f]))
    assert len(e) == 1
    assert (e.loc[0, "row"], e.loc[0, "column"], e.loc[0, "value"]) == (3, "amount", written)
    assert e.loc[0, "problem"] == (
        f"amount in {currency}, a currency other than the database's USD (the mapping gives no rate for {currency})"
    )
    assert "[currency] rates" in e.loc[0, "fix"]


def test_a_decimal_comma_amount_in_euros_is_refused_too(tmp_path, fixture_db):
    mapping = parse_mapping(
        'decimal = ","\n[[sources]]\nname = "deals"\ntable = "deals"\nfiles = ["deals*"]\nauto_columns = true\n'
    )
    f = write(tmp_path, "deals.csv", (HEADER + GOOD).replace(",", ";").replace(";1000", ";1.000,00 €"))
    e = errors(refused(fixture_db, [f], mapping))
    assert (e.loc[0, "value"], e.loc[0, "problem"]) == (
        "1.000,00 €",
        "amount in EUR, a currency other than the database's USD (the mapping gives no rate for EUR)",
    )


def test_dollars_and_usd_are_the_database_currency(tmp_path, fixture_db):
    rows = GOOD.replace(",1000", ',"$1,200.50"') + GOOD.replace("D20", "D21").replace(",1000", ',"1,300 USD"')
    result = import_files(fixture_db, [write(tmp_path, "deals.csv", HEADER + rows)], "canonical")
    assert result.ok, result.report.lines()
    assert one(fixture_db, "select amount from deals where deal_id in ('D20', 'D21') order by deal_id") == [
        (1200.5,),
        (1300.0,),
    ]


def test_a_rate_table_in_the_mapping_converts_amounts(tmp_path, fixture_db):
    mapping = parse_mapping(
        "[currency]\nrates = { EUR = 1.08, GBP = 1.25 }\n"
        '[[sources]]\nname = "deals"\ntable = "deals"\nfiles = ["deals*"]\nauto_columns = true\n'
    )
    rows = (
        GOOD.replace(",1000", ',"EUR 1,000.00"')
        + GOOD.replace("D20", "D21").replace(",1000", ",£500")
        + GOOD.replace("D20", "D22").replace(",1000", ",700")
        + GOOD.replace("D20", "D23").replace(",1000", ',"JPY 150,000"')
    )
    f = write(tmp_path, "deals.csv", HEADER + rows)
    problems = refused(fixture_db, [f], mapping)  # JPY has no rate: its row is refused
    e = errors(problems)
    assert list(zip(e["row"], e["value"], strict=True)) == [(5, "JPY 150,000")]
    result = import_files(fixture_db, [f], mapping, on_error="quarantine")
    assert result.ok and result.rows_rejected == 1
    # 1,000 EUR x 1.08 = 1,080 USD; 500 GBP x 1.25 = 625 USD; 700 (no currency) stays 700
    assert one(
        fixture_db, "select deal_id, amount from deals where deal_id in ('D20','D21','D22','D23') order by 1"
    ) == [
        ("D20", 1080.0),
        ("D21", 625.0),
        ("D22", 700.0),
    ]
    notes = result.report.problems
    notes = notes[notes["problem"].str.contains("converted")]["problem"].tolist()
    assert notes == [
        "1 amount value(s) in EUR converted to USD at 1.08 (the mapping's [currency] rates), rounded to the cent",
        "1 amount value(s) in GBP converted to USD at 1.25 (the mapping's [currency] rates), rounded to the cent",
    ]


# --- implausible dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "why"),
    [
        ("2099-05-01", "more than 365 day(s) after today"),
        ("2999-05-01", "more than 365 day(s) after today"),
        ("1850-05-01", "before 1970-01-01"),
        ("0001-05-01", "before 1970-01-01"),
    ],
)
def test_an_implausible_date_is_reported_on_its_row(tmp_path, fixture_db, closed, why):
    created = closed[:5] + "04-01" if closed < "1970" else "2026-04-01"
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace("2026-04-01", created).replace("2026-05-01", closed))
    e = errors(refused(fixture_db, [f]))
    by_col = dict(zip(e["column"], e["problem"], strict=True))
    assert by_col["closed_at"].startswith(f"implausible closed_at: {why}")
    assert e.loc[e["column"] == "closed_at", "value"].tolist() == [closed]
    assert ("created_at" in by_col) == (created < "1970")
    assert "[dates] earliest" in e.loc[0, "fix"]


def test_the_plausible_range_is_set_in_the_mapping(tmp_path, fixture_db):
    mapping = parse_mapping(
        "[dates]\nearliest = 1800-01-01\ndays_ahead = 36500\n"
        '[[sources]]\nname = "deals"\ntable = "deals"\nfiles = ["deals*"]\nauto_columns = true\n'
    )
    f = write(
        tmp_path, "deals.csv", HEADER + GOOD.replace("2026-04-01", "1850-04-01").replace("2026-05-01", "2099-05-01")
    )
    result = import_files(fixture_db, [f], mapping)
    assert result.ok, result.report.lines()
    assert one(
        fixture_db, "select created_at::date::varchar, closed_at::date::varchar from deals where deal_id = 'D20'"
    ) == [("1850-04-01", "2099-05-01")]


def test_implausible_dates_are_counted_in_quarantine(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD + GOOD.replace("D20", "D21").replace("2026-05-01", "2999-05-01"))
    result = import_files(fixture_db, [f], "canonical", on_error="quarantine")
    assert result.ok and result.rows_inserted == 1 and result.rows_rejected == 1
    assert one(fixture_db, "select row_number, column_name, value from import_rejects") == [
        (3, "closed_at", "2999-05-01")
    ]


# --- workbooks ------------------------------------------------------------------------------------

XLSX_HEADER = ["deal_id", "account_id", "name", "outcome", "created_at", "closed_at", "amount"]


def workbook(tmp_path: Path, rows: list[list], name: str = "deals.xlsx", notes: bool = False, merge: str = "") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Deals"
    ws.append(XLSX_HEADER)
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    if notes:
        wb.create_sheet("Notes").append(["Exported by hand; the Q1 figures are provisional."])
    path = tmp_path / name
    wb.save(path)  # openpyxl saves formulas without a cached value, as scripts and some exporters do
    return path


def row(deal: str, amount, name="Deal", account="A1") -> list:
    return [deal, account, name, "won", datetime(2026, 4, 1), datetime(2026, 5, 1), amount]


def test_a_formula_without_a_saved_value_is_reported_on_its_row(tmp_path, fixture_db):
    f = workbook(tmp_path, [row("D20", 1000), row("D21", "=G2*2"), row("D22", 300, name="=UPPER(C2)")])
    e = errors(refused(fixture_db, [f]))
    assert list(zip(e["row"], e["column"], e["value"], strict=True)) == [
        (3, "amount", "=G2*2"),
        (4, "name", "=UPPER(C2)"),
    ]
    assert e.loc[0, "problem"].startswith("the cell holds a formula with no saved value")
    assert "save it again" in e.loc[0, "fix"]
    result = import_files(fixture_db, [f], "canonical", on_error="quarantine")
    assert result.ok and result.rows_inserted == 1 and result.rows_rejected == 2
    assert one(fixture_db, "select deal_id, amount from deals where deal_id like 'D2_'") == [("D20", 1000.0)]


def test_an_excel_error_value_is_not_taken_as_text(tmp_path, fixture_db):
    f = workbook(tmp_path, [row("D20", 1000, name="#REF!")])
    e = errors(refused(fixture_db, [f]))
    assert (e.loc[0, "row"], e.loc[0, "column"], e.loc[0, "problem"]) == (
        2,
        "name",
        "the cell shows Excel's error #REF!, not a value",
    )


def test_cells_hidden_under_a_merged_range_are_reported_on_their_rows(tmp_path, fixture_db):
    # the account merged over three deals: only D20 holds "A1"; D21 and D22 would get no account
    f = workbook(tmp_path, [row("D20", 1), row("D21", 2, account=None), row("D22", 3, account=None)], merge="B2:B4")
    e = errors(refused(fixture_db, [f]))
    assert list(zip(e["row"], e["column"], strict=True)) == [(3, "account_id"), (4, "account_id")]
    assert e.loc[0, "problem"].startswith("the cell is part of the merged cells B2:B4")
    assert "Unmerge" in e.loc[0, "fix"]


def test_a_free_text_sheet_is_skipped_with_a_note(tmp_path, fixture_db):
    f = workbook(tmp_path, [row("D20", 1000)], notes=True)
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok, result.report.lines()
    assert result.rows_inserted == 1
    notes = result.report.problems
    assert notes["problem"].tolist() == [
        "sheet 'Notes' skipped: it has none of the columns of deals "
        "(its columns: Exported by hand; the Q1 figures are provisional.)"
    ]
    assert notes["file"].tolist() == ["deals.xlsx [Notes]"]


def test_a_workbook_whose_only_sheet_does_not_fit_is_still_refused(tmp_path, fixture_db):
    wb = openpyxl.Workbook()
    wb.active.append(["Exported by hand"])
    wb.create_sheet("More").append(["Nothing here either", "really"])
    wb.save(tmp_path / "deals.xlsx")
    e = errors(refused(fixture_db, [tmp_path / "deals.xlsx"]))
    assert "missing column 'deal_id'" in e.loc[0, "problem"]


def test_a_count_with_a_currency_or_unit_is_not_a_number(tmp_path, fixture_db):
    f = write(
        tmp_path, "accounts.csv", 'account_id,name,employees\nA90,Acme,"$1,200"\nA91,Beta,120 FTE\nA92,Gamma,"1,300"\n'
    )
    e = errors(refused(fixture_db, [f]))
    assert list(zip(e["row"], e["value"], e["problem"], strict=True)) == [
        (2, "$1,200", "not a whole number (employees)"),
        (3, "120 FTE", "not a whole number (employees)"),
    ]


def test_merged_blank_rows_below_the_table_are_not_rows(tmp_path, fixture_db):
    f = workbook(tmp_path, [row("D20", 1), [None] * 7, [None] * 7], merge="A3:C4")
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok, result.report.lines()
    assert result.rows_read == 1 and result.rows_inserted == 1
