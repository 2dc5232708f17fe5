"""`python -m closedloop import`: the report it prints, its exit codes, --report, --quarantine, --dry-run."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from helpers import GOOD, HEADER, checksums

from closedloop.cli import main

ROOT = Path(__file__).resolve().parent.parent
BAD = "D21,A1,Bad deal,Alice,2026-04-01,2026-05-01,closed_won,won,-5\n"


def test_import_prints_the_files_and_a_summary(tmp_path, fixture_db, capsys):
    (tmp_path / "deals.csv").write_text(HEADER + GOOD)
    code = main(["import", "--db", str(fixture_db), "--mapping", "canonical", str(tmp_path / "deals.csv")])
    out = capsys.readouterr().out
    assert code == 0
    assert "deals.csv: deals -> deals; 1 row(s) (csv, utf-8, delimiter ',')" in out
    assert (
        "1 row(s) read from 1 file(s) with mapping 'canonical': 1 inserted, 0 updated, 0 unchanged (import #1)" in out
    )


def test_a_refused_import_prints_each_problem_and_exits_1(tmp_path, fixture_db, capsys):
    (tmp_path / "deals.csv").write_text(HEADER + GOOD + BAD)
    before = checksums(fixture_db)
    code = main(
        [
            "import",
            "--db",
            str(fixture_db),
            "--mapping",
            "canonical",
            "--report",
            str(tmp_path / "problems.csv"),
            str(tmp_path / "deals.csv"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "ERROR   deals.csv row 3, column 'amount', value '-5': negative amount. Fix: amount can't be below zero"
    ) in out
    assert "Nothing was imported: 1 error(s). Fix them and run again, or import the good rows with --quarantine" in out
    assert checksums(fixture_db) == before
    rows = list(csv.DictReader((tmp_path / "problems.csv").open()))
    assert [(r["file"], r["row"], r["column"], r["value"], r["problem"]) for r in rows] == [
        ("deals.csv", "3", "amount", "-5", "negative amount")
    ]


def test_quarantine_imports_the_rest(tmp_path, fixture_db, capsys):
    (tmp_path / "deals.csv").write_text(HEADER + GOOD + BAD)
    code = main(
        ["import", "--db", str(fixture_db), "--mapping", "canonical", "--quarantine", str(tmp_path / "deals.csv")]
    )
    out = capsys.readouterr().out
    assert code == 0 and "1 inserted" in out and "1 rejected into import_rejects" in out


def test_dry_run_writes_nothing(tmp_path, fixture_db, capsys):
    (tmp_path / "deals.csv").write_text(HEADER + GOOD)
    before = checksums(fixture_db)
    code = main(["import", "--db", str(fixture_db), "--mapping", "canonical", "--dry-run", str(tmp_path / "deals.csv")])
    assert code == 0 and "Nothing was written" in capsys.readouterr().out
    assert checksums(fixture_db) == before


def test_list_mappings_and_usage_errors(capsys):
    assert main(["import", "--list-mappings"]) == 0
    listed = capsys.readouterr().out
    assert [line.split()[0] for line in listed.splitlines()] == ["canonical", "hubspot", "maven", "salesforce"]
    assert main(["import", "--mapping", "canonical", "x.csv"]) == 2
    assert "import needs --db" in capsys.readouterr().err
    assert main(["import", "--db", "x.duckdb", "--mapping", "pipedrive", "x.csv"]) == 2
    assert "Unknown mapping 'pipedrive'" in capsys.readouterr().err


def test_the_module_runs_from_the_shell(tmp_path):
    db_path = tmp_path / "maven.duckdb"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "closedloop",
            "import",
            "--db",
            str(db_path),
            "--mapping",
            "maven",
            str(ROOT / "tests" / "data" / "maven"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "8885 row(s) read from 6 file(s) with mapping 'maven': 8885 inserted" in out.stdout
    assert "products.csv: ignored by the mapping" in out.stdout
