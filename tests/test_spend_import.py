"""Importing spend (docs/spend.md): through a mapping from CSV, Parquet and .xlsx, one currency by
the mapping's rates, and a re-import of the same dates replaces instead of adding."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from closedloop.importer import import_files, parse_mapping

MAPPING = """
name = "spend_test"
[currency]
rates = { EUR = 1.10 }
[[sources]]
name = "spend"
table = "spend"
files = ["spend*"]
auto_columns = true
"""


def stored(db_path: Path) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "select cast(spend_date as varchar), channel, campaign_id, amount from spend order by all"
        ).fetchall()
    finally:
        con.close()


def test_campaign_and_channel_files_with_a_currency(fixture_db, tmp_path):
    a = tmp_path / "spend_campaigns.csv"
    a.write_text("spend_date,campaign_id,amount\n2026-01-01,C1,1000\n2026-01-15,C1,500\n2026-02-01,C3,EUR 1000\n")
    b = tmp_path / "spend_channels.csv"
    b.write_text("spend_date,channel,amount\n2026-01-01,paid_search,300\n")
    r = import_files(fixture_db, [a, b], parse_mapping(MAPPING))
    assert r.ok, r.summary()
    assert stored(fixture_db) == [
        ("2026-01-01", "", "C1", 1000.0),
        ("2026-01-01", "paid_search", "", 300.0),
        ("2026-01-15", "", "C1", 500.0),
        ("2026-02-01", "", "C3", 1100.0),  # EUR 1,000 at 1.10
    ]


def test_reimport_replaces_the_dates_it_covers(fixture_db, tmp_path):
    first = tmp_path / "spend_jan_feb.csv"
    first.write_text("spend_date,campaign_id,amount\n2026-01-01,C1,1000\n2026-02-01,C1,2000\n2026-01-01,C5,400\n")
    assert import_files(fixture_db, [first], parse_mapping(MAPPING)).ok
    again = tmp_path / "spend_jan.csv"
    # January for C1 again, corrected; two rows of one day add up
    again.write_text("spend_date,campaign_id,amount\n2026-01-01,C1,700\n2026-01-01,C1,50\n")
    assert import_files(fixture_db, [again], parse_mapping(MAPPING)).ok
    assert stored(fixture_db) == [
        ("2026-01-01", "", "C1", 750.0),  # replaced, not 1,750
        ("2026-01-01", "", "C5", 400.0),  # another campaign: untouched
        ("2026-02-01", "", "C1", 2000.0),  # outside the dates re-imported: untouched
    ]
    assert import_files(fixture_db, [again], parse_mapping(MAPPING)).ok
    assert sum(r[3] for r in stored(fixture_db)) == 750 + 400 + 2000


def test_parquet_and_xlsx(fixture_db, tmp_path):
    df = pd.DataFrame(
        {"spend_date": ["2026-03-01", "2026-03-02"], "channel": ["display", "display"], "amount": [10.5, 20]}
    )
    df.iloc[:1].to_parquet(tmp_path / "spend_a.parquet")
    df.iloc[1:].to_excel(tmp_path / "spend_b.xlsx", index=False)
    r = import_files(fixture_db, [tmp_path / "spend_a.parquet", tmp_path / "spend_b.xlsx"], parse_mapping(MAPPING))
    assert r.ok, r.summary()
    assert [(d, c, a) for d, c, _, a in stored(fixture_db)] == [
        ("2026-03-01", "display", 10.5),
        ("2026-03-02", "display", 20.0),
    ]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2026-01-01,C1,GBP 100", "GBP"),
        ("2026-01-01,C1,-5", "negative"),
        ("2026-01-01,C99,100", "unknown campaign"),
    ],
)
def test_bad_rows_are_refused_with_the_reason(fixture_db, tmp_path, row, problem):
    f = tmp_path / "spend_bad.csv"
    f.write_text("spend_date,campaign_id,amount\n" + row + "\n")
    r = import_files(fixture_db, [f], parse_mapping(MAPPING))
    assert not r.ok
    problems = " ".join(r.report.problems["problem"].astype(str))
    assert problem in problems
    assert stored(fixture_db) == []
