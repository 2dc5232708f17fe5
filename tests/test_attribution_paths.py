"""Path data (ChannelAttribution / DP6 format) and the two CLI commands."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from pytest import approx

from closedloop import cli
from closedloop.cli.attribute import register
from closedloop.engine.attribution import (
    PATH_MODELS,
    ROLLUP_COLUMNS,
    attribute_paths,
    compare_paths,
    parse_paths,
    read_paths,
)

PATHS = """path;total_conversions;total_conversion_value;total_null
search > email > demo;2;200;1
email;1;50;3
search > demo;0;0;2
"""


def test_parse_paths_reads_the_format_with_or_without_header():
    df = parse_paths(PATHS)
    assert df["path"].tolist() == [("search", "email", "demo"), ("email",), ("search", "demo")]
    assert df["total_conversions"].tolist() == [2, 1, 0]
    assert df["total_null"].tolist() == [1, 3, 2]
    bare = parse_paths("a>b;1;10;0\nb;0;0;4\n")
    assert bare["path"].tolist() == [("a", "b"), ("b",)]
    # columns in another order, comma-separated, custom separator
    other = parse_paths("total_null,path,total_conversions\n2,a | b,1\n", sep="|")
    assert other.iloc[0].tolist() == [("a", "b"), 1.0, 0.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("path;total_conversions;total_conversion_value;total_null\n", "no paths"),
        ("path;total_conversions\n;1\n", "line 2: the path is empty"),
        ("path;total_conversions\na;x\n", "line 2: total_conversions must be a number"),
        ("path;total_conversions;total_conversion_value;total_null\na;1;1;-2\n", "total_null must be >= 0"),
        ("path;total_null\na;1\n", "missing total_conversions"),
    ],
)
def test_parse_paths_errors_say_where(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_paths(text)


def test_rule_models_on_paths_by_hand():
    df = parse_paths(PATHS)
    lin = attribute_paths(df, "linear").set_index("channel")
    # 2 conversions over 3 touches, 1 on email alone
    expected = {"search": 2 / 3, "email": 2 / 3 + 1, "demo": 2 / 3}
    assert lin["attributed_conversions"].to_dict() == approx(expected)
    assert lin["attributed_value"].sum() == approx(250.0)
    # a path ends at its conversion, so its last touch is LC too: U-shaped is 40/20/40
    u = attribute_paths(df, "u_shaped").set_index("channel")["attributed_conversions"]
    assert u.to_dict() == approx({"search": 0.8, "email": 0.4 + 1, "demo": 0.8})
    first = attribute_paths(df, "first_touch").set_index("channel")["attributed_conversions"]
    assert first.to_dict() == approx({"search": 2.0, "email": 1.0, "demo": 0.0})
    j = attribute_paths(df, "j_shaped").set_index("channel")["attributed_conversions"]
    assert j.to_dict() == approx({"search": 0.4, "email": 0.4 + 1, "demo": 1.2})


def test_models_needing_timestamps_are_refused_on_paths():
    with pytest.raises(ValueError, match="w_shaped needs timestamps or the opportunity creation"):
        attribute_paths(parse_paths(PATHS), "w_shaped")
    with pytest.raises(ValueError, match="Unknown model 'nope'.*first_touch"):
        attribute_paths(parse_paths(PATHS), "nope")


def test_compare_paths_has_every_path_model():
    cmp = compare_paths(parse_paths(PATHS))
    assert [c for c in cmp.columns if c in PATH_MODELS] == list(PATH_MODELS)
    for model in PATH_MODELS:
        assert cmp[model].sum() == approx(3.0), model
    assert cmp["rank_spread"].notna().all()


def test_read_paths_missing_file(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="No path file"):
        read_paths(tmp_path / "nope.csv")


# --- CLI --------------------------------------------------------------------------


def _run(argv: list[str]) -> int:
    """The attribution commands alone, so these tests don't depend on other commands."""
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_attribute_one_model_csv(fixture_db: Path, capsys):
    assert (
        _run(["attribute", "--db", str(fixture_db), "--model", "linear", "--from", "2026-01-01", "--to", "2026-03-31"])
        == 0
    )
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(out.columns) == ROLLUP_COLUMNS
    assert out["attributed_revenue_usd"].sum() == approx(402_000.0, abs=1e-3)


def test_cli_attribute_all_json_to_file(fixture_db: Path, tmp_path: Path):
    target = tmp_path / "all.json"
    assert (
        _run(
            [
                "attribute",
                "--db",
                str(fixture_db),
                "--model",
                "all",
                "--by",
                "team",
                "--format",
                "json",
                "--out",
                str(target),
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31",
            ]
        )
        == 0
    )
    rows = json.loads(target.read_text())
    assert {r["key"] for r in rows} == {"marketing", "sales", "No touchpoint"}
    assert sum(r["markov"] for r in rows) == approx(5.0)
    assert "rank_linear" in rows[0]


def test_cli_attribute_custom_weights(fixture_db: Path, tmp_path: Path, capsys):
    w = tmp_path / "w.toml"
    w.write_text("[positions]\nFT = 1\n")
    assert _run(["attribute", "--db", str(fixture_db), "--model", "custom", "--weights", str(w)]) == 0
    custom = capsys.readouterr().out
    assert _run(["attribute", "--db", str(fixture_db), "--model", "first_touch"]) == 0
    assert custom == capsys.readouterr().out


def test_cli_errors_are_clear(fixture_db: Path, capsys):
    # through the real entry point: errors become one line and exit code 2
    assert cli.main(["attribute", "--db", str(fixture_db), "--model", "nope"]) == 2
    err = capsys.readouterr().err
    assert "Unknown model 'nope'. Known models: first_touch, last_touch, linear" in err
    assert cli.main(["attribute", "--db", str(fixture_db), "--model", "linear", "--from", "2026-13-01"]) == 2
    assert "date_from must be a date" in capsys.readouterr().err
    assert cli.main(["attribute", "--db", "/nonexistent/x.duckdb", "--model", "linear"]) == 2
    assert "No database at" in capsys.readouterr().err


def test_cli_attribute_paths(tmp_path: Path, capsys):
    f = tmp_path / "paths.csv"
    f.write_text(
        "path;total_conversions;total_conversion_value;total_null\nC1 > C2 > C3;1;100;0\nC1;0;0;1\nC2 > C3;0;0;1\n"
    )
    assert _run(["attribute-paths", "--paths", str(f), "--model", "markov"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("channel")
    assert out["attributed_conversions"].to_dict() == approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert _run(["attribute-paths", "--paths", str(f), "--model", "all", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["channel"] for r in rows} == {"C1", "C2", "C3"}
    assert sum(r["markov"] for r in rows) == approx(1.0)
    assert cli.main(["attribute-paths", "--paths", str(f), "--model", "time_decay"]) == 2
    assert "time_decay needs timestamps" in capsys.readouterr().err
