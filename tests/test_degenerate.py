"""Issue 11's degenerate-data matrix: every variant of tests/degenerate.py × every page (AppTest,
the page list read from ui/nav.py) × every CLI command. Nothing may raise; where there is nothing
to show, the page says so with st.info and the command with a sentence."""

from __future__ import annotations

import json
from pathlib import Path

import degenerate
import pytest
from streamlit.testing.v1 import AppTest

from closedloop import cli
from ui.nav import PAGES

ROOT = Path(__file__).resolve().parent.parent
WHOLE = ["--from", "2025-01-01", "--to", "2026-12-31"]

# Variants with no closed deal at all: the review pages have nothing to show.
NOTHING_CLOSED = {"empty", "no_closed"}
# Variants whose closed deals have no touch: nothing to credit or to compare.
NO_TOUCHES = {"empty", "no_touchpoints"}


@pytest.fixture(params=degenerate.VARIANTS)
def variant_db(request, tmp_path, monkeypatch) -> tuple[str, Path]:
    path = degenerate.build(tmp_path / f"{request.param}.duckdb", request.param)
    monkeypatch.setenv("CLOSEDLOOP_DB", str(path))
    return request.param, path


def _texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_runs_on_every_degenerate_database(variant_db, spec):
    name, _ = variant_db
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value == spec.title
    if name in NOTHING_CLOSED and spec.url_path in ("closed-loop-review", "win-rate-lift", "credit", "paths"):
        assert at.info, f"{spec.title} on {name}: no empty state"
    if name in NO_TOUCHES and spec.url_path in ("win-rate-lift", "paths", "credit"):
        assert at.info, f"{spec.title} on {name}: no empty state"


def test_data_quality_tab_on_every_degenerate_database(variant_db):
    at = AppTest.from_file(str(ROOT / "views/data.py"), default_timeout=60)
    at.query_params["tab"] = "Data quality"
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-01-01", "to": "2026-12-31"},
        {"from": "2026-02-01", "to": "2026-02-01"},
    ],
    ids=["whole-range", "one-day"],
)
@pytest.mark.parametrize(
    "spec",
    [p for p in PAGES if p.url_path not in ("import-data", "deal")],
    ids=[p.url_path for p in PAGES if p.url_path not in ("import-data", "deal")],
)
def test_pages_over_other_periods_on_the_no_touchpoints_and_same_dates_databases(tmp_path, monkeypatch, spec, params):
    for name in ("no_touchpoints", "same_dates"):
        path = degenerate.build(tmp_path / f"{name}.duckdb", name)
        monkeypatch.setenv("CLOSEDLOOP_DB", str(path))
        at = AppTest.from_file(str(ROOT / spec.path), default_timeout=60)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, (name, [e.value for e in at.exception])


def test_deal_explorer_opens_a_deal_with_odd_keys(tmp_path, monkeypatch):
    path = degenerate.build(tmp_path / "odd.duckdb", "odd_keys")
    monkeypatch.setenv("CLOSEDLOOP_DB", str(path))
    at = AppTest.from_file(str(ROOT / "views/deal_explorer.py"), default_timeout=60)
    at.query_params["deal"] = "D01"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Acme 🚀 " + degenerate.LONG in _texts(at.markdown) + _texts(at.subheader) + _texts(at.header)


# --- commands ------------------------------------------------------------------------------------


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["attribute", "--model", "all", *WHOLE],
        ["attribute", "--model", "all", "--measure", "revenue"],
        ["attribute", "--model", "w_shaped", "--by", "campaign", *WHOLE],
        ["attribute", "--model", "time_decay", "--by", "asset", "--lookback-days", "90", *WHOLE],
        ["attribute", "--model", "markov", "--order", "2", *WHOLE],
        ["attribute", "--model", "shapley", *WHOLE, "--format", "json"],
        ["attribute", "--model", "linear", "--scope", "contact_roles", "--by", "touchpoint_type", *WHOLE],
        ["attribute", "--model", "linear", "--measure", "roas", *WHOLE],
        ["attribute", "--model", "all", "--measure", "cac", "--booking", "touch", *WHOLE],
        ["credit-over-time", "--grain", "quarter", *WHOLE],
        ["credit-over-time", "--ranks", "4", "--to", "2026-03-31"],
        ["lift", *WHOLE],
        ["lift", "--by", "campaign", "--format", "json"],
        ["lift", "--by", "asset", "--scope", "contact_roles", "--lookback-days", "0", *WHOLE],
        ["lift", "--adjusted", "--by", "channel", *WHOLE],
        ["paths", *WHOLE],
        ["paths", "--transform", "drop_channel", "--drop-channel", "sales", "--format", "json"],
        ["paths", "--report", "time-lag", *WHOLE],
        ["paths", "--report", "path-length", "--by-month"],
        ["refresh", "--if-stale"],
        ["refresh"],
    ],
    ids=lambda a: "-".join(x.lstrip("-") for x in a[:3]),
)
def test_every_command_on_every_degenerate_database(variant_db, capsys, argv):
    name, path = variant_db
    rc, out, err = _run([argv[0], "--db", str(path), *argv[1:]], capsys)
    assert rc == 0, err
    assert "Traceback" not in err
    assert out.strip() or err.strip(), "the command said nothing"
    if argv[0] == "attribute" and name in NOTHING_CLOSED and "--measure" not in argv:
        assert "No won deals" in err or "No won revenue" in err
    if argv[0] == "lift" and name in NOTHING_CLOSED:
        assert "No deals closed in this period" in err
    if argv[0] == "lift" and name == "no_touchpoints":
        assert "nothing to compare" in err


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_report_on_every_degenerate_database(variant_db, capsys, tmp_path, fmt):
    name, path = variant_db
    if fmt == "pdf":
        pytest.importorskip("reportlab")
    out_file = tmp_path / f"pack.{fmt}"
    rc, out, err = _run(
        ["report", "--db", str(path), *WHOLE, "--out", str(out_file), "--notes-csv", str(tmp_path / "notes.csv")],
        capsys,
    )
    assert rc == 0, err
    assert out_file.stat().st_size > 0
    if name in NOTHING_CLOSED:
        assert "0 deals" in out + err
    if fmt == "html" and name == "odd_keys":
        assert "Acme 🚀 " + degenerate.LONG in out_file.read_text(encoding="utf-8")


def test_report_of_largest_deals_without_amounts(tmp_path, capsys):
    path = degenerate.build(tmp_path / "null.duckdb", "null_amounts")
    rc, out, err = _run(
        ["report", "--db", str(path), *WHOLE, "--select", "largest", "--top", "3", "--out", str(tmp_path / "p.html")],
        capsys,
    )
    assert rc == 0, err
    assert "3 deals" in out + err


@pytest.mark.parametrize(
    "text",
    [
        "path;total_conversions;total_conversion_value;total_null\n",
        "path;total_conversions;total_conversion_value;total_null\na > b;0;0;5\nb;0;0;2\n",
        "path;total_conversions;total_conversion_value;total_null\nGoogle > google;3;300;1\n",
        "path;total_conversions;total_conversion_value;total_null\nsearch 🚀 > " + degenerate.LONG + ";1;0;0\n",
    ],
    ids=["no-paths", "no-conversions", "case-keys", "odd-keys"],
)
@pytest.mark.parametrize("model", ["all", "markov", "shapley", "linear"])
def test_attribute_paths_on_degenerate_path_files(tmp_path, capsys, text, model):
    paths = tmp_path / "paths.csv"
    paths.write_text(text, encoding="utf-8")
    rc, out, err = _run(["attribute-paths", "--paths", str(paths), "--model", model, "--format", "json"], capsys)
    assert rc in (0, 2), err
    assert "Traceback" not in err
    assert out.strip() or err.startswith("error: ")
    if rc == 0 and "Google" in text:
        keys = {row.get("key", row.get("channel")) for row in json.loads(out)}
        assert {"Google", "google"} <= keys
