"""`python -m closedloop lift`: the Touchpoint lift page's figures on the command line, worked out
by hand on the fixture (tests/fixture.py; the same figures tests/test_lift.py checks)."""

from __future__ import annotations

import json

import pytest

from closedloop import cli

Q1 = ["--from", "2026-01-01", "--to", "2026-03-31"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_lift_by_touchpoint_type_as_csv(fixture_db, capsys):
    rc, out, err = run(capsys, "lift", "--db", str(fixture_db), *Q1)
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("key,label,deals_touched,deals_touched_won,deals_touched_lost,deals_not_touched,")
    # ebook_download touched D01, D07, D08 (all won); not touched: D02, D04 won, D03, D05, D06 lost
    assert lines[1] == "ebook_download,ebook_download,3,3,0,5,2,3,1.0,0.4,60.0,-7.204425,88.237923,True"
    # sales_email touched D03 and D05 (both lost): 0 vs 5 of 6 = -83.3 pp, last
    assert lines[-1].startswith("sales_email,sales_email,2,0,2,6,5,1,0.0,0.833333,-83.333333,")
    assert len(lines) == 12  # 11 touchpoint types in Q1 2026's windows
    assert "5 won, 3 lost (win rate 62.5%)" in err


def test_lift_by_campaign_json_with_filters_and_out(fixture_db, capsys, tmp_path):
    out_file = tmp_path / "lift.json"
    rc, out, err = run(
        capsys,
        "lift",
        "--db",
        str(fixture_db),
        *Q1,
        "--by",
        "campaign",
        "--segment",
        "SMB",
        "--format",
        "json",
        "--out",
        str(out_file),
    )
    assert rc == 0 and out == ""
    rows = {r["key"]: r for r in json.loads(out_file.read_text())}
    # SMB in Q1 2026: D03 lost (C4 email), D06 lost (no touch), D08 won (C3 webinar, C2 ebook)
    assert set(rows) == {"C2", "C3", "C4"}
    assert rows["C3"]["label"] == "Q1 Webinar"
    assert (rows["C3"]["deals_touched_won"], rows["C3"]["deals_not_touched_lost"]) == (1, 2)
    assert rows["C3"]["win_rate_diff_pp"] == 100.0
    assert rows["C4"]["win_rate_diff_pp"] == -50.0  # 0 of 1 vs 1 of 2
    assert f"Wrote 3 rows to {out_file}" in err and "1 won, 2 lost" in err


def test_lift_lookback_and_scope_change_the_figures(fixture_db, capsys):
    # D04's T14/T15 (whitepaper, demo request) are 190 days before its creation: in with a 200-day lookback
    _, out180, _ = run(capsys, "lift", "--db", str(fixture_db), *Q1, "--by", "touchpoint_type")
    _, out200, _ = run(capsys, "lift", "--db", str(fixture_db), *Q1, "--lookback-days", "200")
    assert "demo_request" not in out180 and "demo_request,demo_request,1,1,0," in out200
    # contact roles: T01 (no contact) leaves D01 and D07, so ad_click touches no deal
    _, roles, _ = run(capsys, "lift", "--db", str(fixture_db), *Q1, "--scope", "contact_roles")
    assert "ad_click" not in roles and "ad_click" in out180


def test_lift_says_when_there_is_nothing_to_compare(fixture_db, capsys):
    rc, out, err = run(capsys, "lift", "--db", str(fixture_db), "--from", "2024-01-01", "--to", "2024-03-31")
    assert rc == 0 and out.startswith("key,label,")
    assert "No deals closed in this period (2024-01-01 to 2024-03-31)" in err


@pytest.mark.parametrize("argv", [["--by", "team"], ["--from", "2026-13-01"], ["--scope", "nope"]])
def test_lift_refuses_unknown_values(fixture_db, argv):
    with pytest.raises(SystemExit):
        cli.main(["lift", "--db", str(fixture_db), *argv])
