"""The mapping language (renames, formats, maps, rules, constants, derived ids) and its clear errors;
previews; validation that writes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from closedloop.importer import MappingError, import_files, load_mapping, parse_mapping, read_preview, validate
from closedloop.importer.load import table_checksums

DATA = Path(__file__).resolve().parent / "data" / "import"

GERMAN = """
name = "crm_de"
date_formats = ["%d.%m.%Y %H:%M", "%d.%m.%Y"]
decimal = ","

[currency]
rates = { EUR = 1.1 }   # 1 EUR = 1.10 USD

[[sources]]
name = "deals"
table = "deals"
files = ["*.csv"]

[sources.columns]
deal_id = { from = "Nr", prefix = "X-" }
account_id = { from = ["Kunde", "Firma"], split = "/" }
name = { from = "Titel", default = "(ohne Titel)" }
owner = { const = "Team DACH" }
stage = "Phase"
created_at = "Angelegt"
closed_at = "Abschluss"
amount = "Betrag"

[sources.columns.outcome]
from = "Phase"
map = { "Gewonnen" = "won", "Verloren" = "lost" }
otherwise = "open"
rules = [{ when = { "Storniert" = ["ja"] }, value = "lost" }]
"""

GERMAN_CSV = (
    "Nr;Kunde;Firma;Titel;Phase;Storniert;Angelegt;Abschluss;Betrag\n"
    "1;A1/A2;;Großauftrag;GEWONNEN;nein;05.01.2026 09:30;10.02.2026;1.234,50\n"
    "2;;A3;;Angebot;ja;06.01.2026;12.02.2026;€ 99,00\n"
    "3;A1;;Pilot;Angebot;;07.01.2026;31.03.2026;0\n"
)


def test_the_mapping_language_end_to_end(tmp_path, fixture_db):
    (tmp_path / "export.csv").write_text(GERMAN_CSV, encoding="utf-8")
    result = import_files(fixture_db, [tmp_path / "export.csv"], parse_mapping(GERMAN))
    assert result.ok, result.report.lines()
    con = duckdb.connect(str(fixture_db), read_only=True)
    rows = con.execute(
        "select deal_id, account_id, name, owner, outcome, created_at, closed_at, amount "
        "from deals where deal_id like 'X-%' order by deal_id"
    ).fetchall()
    con.close()
    assert rows == [
        # "A1/A2" split on "/"; "GEWONNEN" matched case-insensitively; 1.234,50 with decimal ","
        ("X-1", "A1", "Großauftrag", "Team DACH", "won", datetime(2026, 1, 5, 9, 30), datetime(2026, 2, 10), 1234.5),
        # Kunde empty -> Firma; no title -> default; the rule (Storniert = ja) wins over the map;
        # € 99,00 converted by the mapping's rate: 99 x 1.1 = 108.90 USD
        ("X-2", "A3", "(ohne Titel)", "Team DACH", "lost", datetime(2026, 1, 6), datetime(2026, 2, 12), 108.9),
        # "Angebot" isn't in the map -> otherwise "open"; an open deal's close date isn't stored
        ("X-3", "A1", "Pilot", "Team DACH", "open", datetime(2026, 1, 7), None, 0.0),
    ]


def test_preview_raw_and_mapped(tmp_path):
    (tmp_path / "export.csv").write_text(GERMAN_CSV.replace("07.01.2026", "im Januar"), encoding="utf-8")
    raw = read_preview(tmp_path / "export.csv", limit=2)
    assert list(raw.columns[:3]) == ["row", "Nr", "Kunde"] and list(raw["row"]) == [2, 3]
    mapped = read_preview(tmp_path / "export.csv", parse_mapping(GERMAN))
    assert list(mapped.columns[:3]) == ["row", "deal_id", "account_id"]
    assert list(mapped["outcome"]) == ["won", "lost", "open"]
    assert mapped["created_at"].isna().tolist() == [False, False, True]  # "im Januar" can't be read


def test_preview_of_an_unreadable_file_says_why(tmp_path):
    (tmp_path / "deals.csv").write_bytes(b"")
    with pytest.raises(Exception, match="the file is empty"):
        read_preview(tmp_path / "deals.csv", "canonical")


def test_validate_writes_nothing_and_cleans_up(fixture_db):
    con = duckdb.connect(str(fixture_db), read_only=True)
    before = table_checksums(con)
    report = validate(con, [DATA / "salesforce"], "salesforce")
    assert report.ok and report.errors == 0 and report.rows_read == 27
    assert table_checksums(con) == before
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchone() == (0,)
    counts = dict(zip(report.counts["table"], report.counts["rows_to_write"], strict=True))
    assert counts["deals"] == 4 and counts["touchpoints"] == 9
    con.close()


def test_validate_on_a_database_without_tables(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    report = validate(con, [DATA / "hubspot"], "hubspot")
    assert report.ok
    assert con.execute("select count(*) from duckdb_tables()").fetchone() == (0,)
    con.close()


def test_derived_ids_are_stable_so_a_reimport_adds_nothing(tmp_path):
    first = import_files(tmp_path / "sf.duckdb", [DATA / "salesforce"], "salesforce")
    second = import_files(tmp_path / "sf.duckdb", [DATA / "salesforce"], "salesforce")
    assert first.rows_inserted == 29
    assert (second.rows_inserted, second.rows_updated) == (0, 0)


def test_report_as_csv(tmp_path, fixture_db):
    (tmp_path / "deals.csv").write_text("deal_id,outcome\nD20,maybe\n")
    con = duckdb.connect(str(fixture_db), read_only=True)
    report = validate(con, [tmp_path / "deals.csv"], "canonical")
    con.close()
    report.to_csv(tmp_path / "report.csv")
    text = (tmp_path / "report.csv").read_text()
    assert text.splitlines()[0] == "severity,file,row,column,value,problem,fix,table"
    assert "error,deals.csv,2,outcome,maybe,not a known outcome" in text
    assert report.lines()[0].startswith(
        "ERROR   deals.csv row 2, column 'outcome', value 'maybe': not a known outcome."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ('name = "x"', "has no \\[\\[sources\\]\\]"),
        ('[[sources]]\ntable = "opportunities"\nfiles = ["*"]', "table must be one of accounts"),
        (
            '[[sources]]\ntable = "deals"\nfiles = ["*"]\n[sources.columns]\ndeal_id = "id"\noutcome = "o"\nwon = "w"',
            "deals has no column 'won'",
        ),
        ('[[sources]]\ntable = "deals"\nfiles = ["*"]\n[sources.columns]\ndeal_id = "id"', "deals needs outcome"),
        ('[[sources]]\ntable = "deals"\nfile = ["*"]', "unknown key\\(s\\) file"),
        ('timezone = "Mars/Olympus"\n[[sources]]\ntable = "accounts"', "unknown time zone 'Mars/Olympus'"),
        ('decimal = ";"\n[[sources]]\ntable = "accounts"', "decimal must be"),
        (
            '[[sources]]\ntable = "accounts"\ncompanion_of = "nope"\n[sources.columns]\naccount_id = "a"\nname = "n"',
            "companion of unknown source 'nope'",
        ),
        (
            '[enums]\ncolour = ["red"]\n[[sources]]\ntable = "accounts"\nfiles = ["*"]\n[sources.columns]\n'
            'account_id = "a"\nname = "n"',
            "'colour' is not an enumerated column",
        ),
        (
            '[[sources]]\ntable = "accounts"\nfiles = ["*"]\n[sources.columns]\n'
            'account_id = { from = "a", const = "b" }\nname = "n"',
            "only one of from, const and hash",
        ),
    ],
)
def test_mapping_errors_say_what_to_change(text, message):
    with pytest.raises(MappingError, match=message):
        parse_mapping(text, "bad")


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(MappingError, match="canonical, hubspot, maven, salesforce"):
        load_mapping("pipedrive")
    with pytest.raises(MappingError, match="No mapping file"):
        load_mapping("missing.toml")


class Upload:
    """What Streamlit's file_uploader hands the Data page: a name and the bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data

    def getvalue(self) -> bytes:
        return self._data


def test_uploaded_files_and_name_bytes_pairs(tmp_path):
    companies = (DATA / "hubspot" / "companies.csv").read_bytes()
    deals = (DATA / "hubspot" / "deals.csv").read_bytes()
    files = [Upload("companies.csv", companies), ("deals.csv", deals)]
    # the deals name contacts that aren't imported: their contact roles are errors, the deals are fine
    refused = import_files(tmp_path / "u.duckdb", files, "hubspot")
    errors = refused.report.problems
    assert not refused.ok and set(errors["table"]) == {"deal_contacts"} and len(errors) == 3
    result = import_files(tmp_path / "u.duckdb", files, "hubspot", on_error="quarantine")
    assert result.ok, result.report.lines()
    assert list(result.report.files["file"]) == ["companies.csv", "deals.csv"]
    assert result.tables.set_index("table")["inserted"].to_dict() == {"accounts": 2, "deals": 3, "deal_contacts": 0}
    assert result.rows_rejected == 2  # rows 2 (contacts 201, 202) and 3 (contact 203) of deals.csv
    preview = read_preview(Upload("deals.csv", deals), "hubspot", limit=2)
    assert list(preview["deal_id"]) == ["301", "302"]
