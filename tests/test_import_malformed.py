"""Malformed input: each case gets a clear problem (file, row, column, value, fix) and the database
is left exactly as it was (a checksum of every table before and after)."""

from __future__ import annotations

import itertools

import duckdb
import pandas as pd
import pytest
from helpers import GOOD, HEADER, refused, write
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.importer import UnreadableFile, import_files, validate
from closedloop.importer.readers import InputFile, sniff_delimiter, stage_file


def only_error(problems):
    errors = problems[problems["severity"] == "error"]
    assert len(errors) >= 1
    return errors.iloc[0]


def test_truncated_row(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD + "D21,A1,Cut short,Alice,2026-04-01\n")
    e = only_error(refused(fixture_db, [f]))
    assert (e["file"], e["row"]) == ("deals.csv", 3)
    assert "truncated" in e["problem"] and e["value"] == "D21,A1,Cut short,Alice,2026-04-01"
    assert "Complete the row" in e["fix"]


def test_row_with_too_many_values(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + "D21,A1,Acme, Inc. deal,Alice,2026-04-01,,proposal,open,10\n")
    e = only_error(refused(fixture_db, [f]))
    assert e["row"] == 2 and "more values than the header" in e["problem"] and "double quotes" in e["fix"]


def test_unknown_delimiter(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER.replace(",", ":") + GOOD.replace(",", ":"))
    problems = refused(fixture_db, [f])
    e = only_error(problems)
    assert pd.isna(e["row"])  # a problem of the whole file
    assert "missing column 'deal_id'" in e["problem"]
    assert "delimiter other than comma, semicolon, tab or |" in e["fix"]


def test_semicolons_tabs_and_pipes_are_sniffed(tmp_path, fixture_db):
    for sep, name in ((";", "deals_semicolon.csv"), ("\t", "deals_tab.tsv"), ("|", "deals_pipe.txt")):
        line = GOOD.replace(",", sep).replace("D20", f"D2{len(name)}")
        f = write(tmp_path, name, HEADER.replace(",", sep) + line)
        result = import_files(fixture_db, [f], "canonical")
        assert result.ok and result.rows_inserted == 1, (sep, result.report.lines())


def test_bad_date(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace("2026-04-01", "2026-02-30"))
    e = only_error(refused(fixture_db, [f]))
    assert (e["row"], e["column"], e["value"]) == (2, "created_at", "2026-02-30")
    assert "not a date" in e["problem"] and "YYYY-MM-DD" in e["fix"]


def test_bad_number(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace(",1000", ",1k"))
    e = only_error(refused(fixture_db, [f]))
    assert (e["row"], e["column"], e["value"]) == (2, "amount", "1k") and "not a number" in e["problem"]


def test_negative_amount(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace(",1000", ",-1000"))
    e = only_error(refused(fixture_db, [f]))
    assert (e["row"], e["column"], e["value"]) == (2, "amount", "-1000") and e["problem"] == "negative amount"


def test_unknown_enum_value(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace(",won,", ",pending,"))
    e = only_error(refused(fixture_db, [f]))
    assert (e["row"], e["column"], e["value"]) == (2, "outcome", "pending")
    assert e["problem"] == "not a known outcome" and "won, lost, open" in e["fix"]


def test_conflicting_duplicate_ids(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD + GOOD.replace(",1000", ",2000"))
    e = only_error(refused(fixture_db, [f]))
    assert e["row"] == 3 and e["value"] == "D20"
    assert e["problem"] == "duplicate deal_id: row 2 of deals.csv has the same key with different values"


def test_exact_duplicates_are_imported_once_with_a_warning(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", HEADER + GOOD + GOOD)
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok and result.rows_inserted == 1
    w = result.report.problems.iloc[0]
    assert (w["severity"], w["row"]) == ("warning", 3) and "exact repeat of row 2" in w["problem"]


def test_the_same_key_in_two_files_is_merged_in_file_order(tmp_path, fixture_db):
    # issue 11: two files of one run with the same deal are merged (the later one wins), with one
    # warning that says so; before, this was refused as a duplicate
    a = write(tmp_path, "deals.csv", HEADER + GOOD)
    b = write(tmp_path, "deals_more.csv", HEADER + GOOD.replace("New deal", "Other deal"))
    result = import_files(fixture_db, [a, b], "canonical")
    assert result.ok and result.report.errors == 0
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name from deals where deal_id = 'D20'").fetchall() == [("Other deal",)]
    con.close()
    w = result.report.problems
    w = w[w["problem"].str.contains("merged")].iloc[0]
    assert (w["severity"], w["file"]) == ("warning", "deals_more.csv")
    assert w["problem"].startswith("1 deal_id(s) of this file are also in deals.csv: merged")
    # given the other way round, the other file wins: the order is the order the files are given in
    result = import_files(fixture_db, [b, a], "canonical")
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name from deals where deal_id = 'D20'").fetchall() == [("New deal",)]
    con.close()


def test_empty_file(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", b"")]))
    assert e["problem"] == "the file is empty" and "Export it again" in e["fix"]


def test_header_only(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", HEADER)]))
    assert e["problem"] == "the file has a header but no data rows"


def test_a_file_of_another_table(tmp_path, fixture_db):
    touches = (
        "touchpoint_id,occurred_at,account_id,contact_id,team,channel,touchpoint_type,campaign_id,asset\n"
        "T90,2026-01-01 10:00,A1,,sales,sales,sales_call,,\n"
    )
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", touches)]))
    assert e["problem"] == "the file is named like deals but its columns are those of touchpoints"
    assert "rename it to match touchpoints*" in e["fix"]


def test_a_file_the_mapping_does_not_know(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "export.csv", "foo,bar\n1,2\n")]))
    assert e["problem"].startswith("can't tell which kind of export this is")
    assert "Mapping 'canonical' reads:" in e["fix"]


def test_latin1_file_is_read_as_latin1(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", (HEADER + GOOD.replace("New deal", "Café crème")).encode("latin-1"))
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok
    assert "read as Windows-1252" in result.report.problems["problem"].iloc[0]
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name from deals where deal_id = 'D20'").fetchone() == ("Café crème",)
    con.close()


def test_invalid_utf8_bytes_in_a_utf8_file(tmp_path, fixture_db):
    # the first 64 KB are UTF-8 (with an é), so the file is UTF-8; a stray byte later is an error on its row
    rows = "".join(f"D{i},A1,Deal é {i},Alice,2026-04-01,2026-05-01,closed_won,won,1000\n" for i in range(100, 1300))
    data = (HEADER + rows).encode() + b"D9999,A1,Bad \xff byte,Alice,2026-04-01,2026-05-01,closed_won,won,1\n"
    assert len(data) > 65536
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", data)]))
    assert e["row"] == 1202 and "aren't valid UTF-8" in e["problem"] and "CSV UTF-8" in e["fix"]


def test_binary_file(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")]))
    assert e["problem"] == "the file holds binary data, not text"


def test_legacy_xls_and_corrupt_workbook(tmp_path, fixture_db):
    xls = write(tmp_path, "deals.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    bad = write(tmp_path, "deals.xlsx", b"PK\x03\x04" + b"\x00" * 100)
    problems = refused(fixture_db, [xls, bad])
    assert "legacy Excel .xls" in problems["problem"].iloc[0]
    assert "zip archive" in problems["problem"].iloc[1] or "workbook" in problems["problem"].iloc[1]


def test_unknown_account(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", HEADER + GOOD.replace(",A1,", ",A99,"))]))
    assert (e["column"], e["value"]) == ("account_id", "A99")
    assert e["problem"] == "unknown account: not in the files nor the database"


def test_references_resolve_against_the_files_and_the_database(tmp_path, fixture_db):
    # A1 is in the database; A99 comes in the same run
    accounts = write(tmp_path, "accounts.csv", "account_id,name\nA99,Newco\n")
    deals = write(tmp_path, "deals.csv", HEADER + GOOD + GOOD.replace("D20,A1", "D21,A99"))
    result = import_files(fixture_db, [accounts, deals], "canonical")
    assert result.ok and result.rows_inserted == 3


def test_rejected_parent_makes_its_children_unknown(tmp_path, fixture_db):
    accounts = write(tmp_path, "accounts.csv", "account_id,name,employees\nA99,Newco,-5\n")
    deals = write(tmp_path, "deals.csv", HEADER + GOOD.replace("D20,A1", "D21,A99"))
    problems = refused(fixture_db, [accounts, deals])
    errors = problems[problems["severity"] == "error"]
    assert list(zip(errors["file"], errors["problem"], strict=True)) == [
        ("accounts.csv", "negative employees"),
        ("deals.csv", "unknown account: not in the files nor the database"),
    ]


def test_deal_closed_before_it_was_created(tmp_path, fixture_db):
    e = only_error(
        refused(fixture_db, [write(tmp_path, "deals.csv", HEADER + GOOD.replace("2026-05-01", "2026-03-01"))])
    )
    assert (
        e["problem"] == "the deal closed before it was created" and e["value"] == "2026-03-01 00:00 < 2026-04-01 00:00"
    )


def test_won_deal_without_close_date(tmp_path, fixture_db):
    e = only_error(refused(fixture_db, [write(tmp_path, "deals.csv", HEADER + GOOD.replace("2026-05-01", ""))]))
    assert e["problem"] == "a won or lost deal needs a close date"


def test_every_problem_of_a_messy_file_is_reported_at_once(tmp_path, fixture_db):
    rows = [
        GOOD,
        GOOD.replace("D20", "D21").replace("2026-04-01", "yesterday"),
        GOOD.replace("D20", "D22").replace(",won,", ",maybe,"),
        GOOD.replace("D20", "D23").replace(",1000", ",-3"),
        "D24,A1\n",
    ]
    problems = refused(fixture_db, [write(tmp_path, "deals.csv", HEADER + "".join(rows))])
    assert list(problems["row"]) == [3, 4, 5, 6]


def test_quarantine_imports_the_good_rows_and_keeps_the_bad_ones_visible(tmp_path, fixture_db):
    rows = GOOD + GOOD.replace("D20", "D21").replace(",1000", ",-3") + "D24,A1\n"
    con = duckdb.connect(str(fixture_db))
    result = import_files(con, [write(tmp_path, "deals.csv", HEADER + rows)], "canonical", on_error="quarantine")
    assert result.ok and result.rows_inserted == 1 and result.rows_rejected == 2
    assert con.execute("select deal_id from deals where deal_id >= 'D2'").fetchall() == [("D20",)]
    rejects = con.execute(
        "select import_id, file, row_number, target_table, column_name, value, problem from import_rejects "
        "order by row_number"
    ).fetchall()
    assert rejects[0][:7] == (result.import_id, "deals.csv", 3, "deals", "amount", "-3", "negative amount")
    assert rejects[1][1:3] == ("deals.csv", 4) and "truncated" in rejects[1][6]
    log = con.execute(
        "select files, mapping, rows_read, rows_inserted, rows_updated, rows_rejected from import_log"
    ).fetchall()
    assert log == [("deals.csv", "canonical", 3, 1, 0, 2)]
    con.close()


def test_quarantine_still_refuses_a_file_it_cannot_use(tmp_path, fixture_db):
    problems = refused(fixture_db, [write(tmp_path, "deals.csv", b"")], on_error="quarantine")
    assert problems["problem"].iloc[0] == "the file is empty"


# --- hypothesis: garbage into the CSV reader ---------------------------------------------------

_counter = itertools.count()

GARBAGE_TEXT = st.text(alphabet=st.sampled_from(list("ab,;|\t\"'\n\r x1é€\\")), max_size=400)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(GARBAGE_TEXT.map(str.encode), st.binary(max_size=400)))
def test_garbage_never_crashes_the_csv_reader(tmp_path, data):
    path = tmp_path / f"g{next(_counter)}.csv"
    path.write_bytes(data)
    con = duckdb.connect()
    try:
        staged = stage_file(con, InputFile("g.csv", path), f"t{next(_counter)}")
        for s in staged:
            rel = con.table(s.table)
            assert s.rows == rel.count("*").fetchall()[0][0]
            rows = [r[0] for r in rel.select("__row").order("__row").fetchall()]
            assert rows == sorted(set(rows)) and all(r >= 2 for r in rows)
    except UnreadableFile as exc:
        assert exc.file == "g.csv" and exc.problem and exc.fix
    finally:
        con.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=GARBAGE_TEXT)
def test_garbage_gives_a_report_not_a_traceback(tmp_path, text):
    path = tmp_path / f"deals{next(_counter)}.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    con = duckdb.connect()
    report = validate(con, [path], "canonical")
    con.close()
    assert set(report.problems["severity"]) <= {"error", "warning"}
    assert report.problems["problem"].notna().all() and report.problems["fix"].notna().all()


def test_sniffer_prefers_the_delimiter_the_rows_agree_with():
    assert sniff_delimiter("a;b;c\n1;2,5;3\n4;5;6\n") == ";"
    assert sniff_delimiter("name,notes\nx,a;b;c;d\n") == ","
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_bom_and_crlf_and_quotes(tmp_path, fixture_db, bom):
    text = (
        HEADER.replace("\n", "\r\n") + '"D20","A1","Deal, with ""quotes""","Alice",2026-04-01,2026-05-01,,won,1000\r\n'
    )
    result = import_files(fixture_db, [write(tmp_path, "deals.csv", bom + text.encode())], "canonical")
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name from deals where deal_id = 'D20'").fetchone() == ('Deal, with "quotes"',)
    con.close()


def test_utf16_with_bom(tmp_path, fixture_db):
    f = write(tmp_path, "deals.csv", (HEADER + GOOD.replace("New deal", "Café")).encode("utf-16"))
    result = import_files(fixture_db, [f], "canonical")
    assert result.ok and result.report.files["encoding"].tolist() == ["utf-16"]
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select name from deals where deal_id = 'D20'").fetchone() == ("Café",)
    con.close()


def test_a_decimal_comma_is_not_read_as_thousands(tmp_path, fixture_db):
    # "1,5" in a file whose mapping writes 1.5 would otherwise become fifteen
    f = write(tmp_path, "deals.csv", HEADER + GOOD.replace(",1000", ',"1,5"'))
    e = only_error(refused(fixture_db, [f]))
    assert (e["column"], e["value"], e["problem"]) == ("amount", "1,5", "not a number (amount)")
    ok = write(tmp_path, "deals.csv", HEADER + GOOD.replace(",1000", ',"USD 1,234,567.50"'))
    assert import_files(fixture_db, [ok], "canonical").ok
    con = duckdb.connect(str(fixture_db), read_only=True)
    assert con.execute("select amount from deals where deal_id = 'D20'").fetchone() == (1234567.5,)
    con.close()
