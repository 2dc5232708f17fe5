"""Importing a folder: its exports are read, the mapping kept beside them is not."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from closedloop.cli import main

HEADER = "deal_id,account_id,name,owner,created_at,closed_at,stage,outcome,amount\n"
ROW = "D20,A1,New deal,Alice,2026-04-01,2026-05-01,closed_won,won,1000\n"


def test_a_folder_with_its_mapping_beside_the_exports_imports_only_the_exports(tmp_path, fixture_db, capsys):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "deals.csv").write_text(HEADER + ROW)
    # a mapping file and a hidden file beside the data: neither is a data file
    shutil.copyfile(Path(__file__).resolve().parent.parent / "mappings" / "canonical.toml", exports / "mapping.toml")
    (exports / ".DS_Store").write_bytes(b"\x00\x01")
    code = main(["import", "--db", str(fixture_db), "--mapping", str(exports / "mapping.toml"), str(exports)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "mapping.toml" not in out.replace(str(exports / "mapping.toml"), "")
    assert "1 row(s) read from 1 file(s)" in out
    con = duckdb.connect(str(fixture_db), read_only=True)
    try:
        assert con.execute("select name, amount from deals where deal_id = 'D20'").fetchall() == [("New deal", 1000)]
    finally:
        con.close()
