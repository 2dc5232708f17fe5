"""Nothing untrusted rendered or executed (issue 12): spreadsheet formulas in every CSV download are
neutralised, text from the data or the URL is shown as text, and every URL parameter of every page
is checked (hypothesis) and falls back with a note instead of an exception."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from closedloop import db, export
from closedloop.filters import ALL_TIME, Filters, from_query_params, quarter_bounds, query_param_problems
from closedloop.meeting import notes, report, reviews
from ui import common
from ui.nav import PAGES

ROOT = Path(__file__).resolve().parent.parent
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r=1"]
LINK = "[click](http://evil.example) ![i](http://evil.example/i.png) :red[x] $E=mc^2$ <b>www.evil.example</b>"


# --- spreadsheet formulas ----------------------------------------------------------------------------


def test_cells_that_start_a_formula_get_a_quote_and_numbers_do_not():
    assert [export.safe_cell(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert [export.safe_cell(v) for v in ["-12.5", "+3", "1e5", "Acme", "", "a=b", None, -4.0]] == [
        "-12.5",
        "+3",
        "1e5",
        "Acme",
        "",
        "a=b",
        None,
        -4.0,
    ]
    df = pd.DataFrame({"=name": ["=1+1", "ok"], "amount": [-5.0, 3.0]})
    text = export.csv_bytes(df).decode()
    assert text == "'=name,amount\n'=1+1,-5.0\nok,3.0\n"


def poison(path: Path) -> str:
    """The fixture with formulas and Markdown in every kind of text a page shows; returns a review's name."""
    con = duckdb_rw(path)
    try:
        con.execute(
            "update deals set name = $n, owner = $o where deal_id = 'D01'", {"n": FORMULAS[0], "o": FORMULAS[2]}
        )
        con.execute("update deals set name = $n where deal_id = 'D02'", {"n": LINK})
        con.execute("update accounts set name = $n where account_id = 'A1'", {"n": FORMULAS[1]})
        con.execute("update accounts set name = $n where account_id = 'A2'", {"n": LINK})
        con.execute("update campaigns set name = $n", {"n": FORMULAS[3]})
        con.execute("update touchpoints set asset = $n where asset is not null", {"n": FORMULAS[4]})
    finally:
        con.close()
    notes.add_note(path, "D01", "sales", "critical", FORMULAS[0])
    notes.add_note(path, "D02", "marketing", "helpful", LINK)
    q1 = Filters(*quarter_bounds("2026Q1"))
    rid = reviews.create_review(path, "Q1 review", q1, selection="all")
    reviews.record_verdict(path, rid, "D02", "sales", "noise", LINK)
    reviews.record_verdict(path, rid, "D01", "marketing", "critical", FORMULAS[5])
    return "Q1 review"


def duckdb_rw(path: Path):
    return db.connect(path, read_only=False)


def assert_csv_safe(data: bytes, what: str) -> int:
    cells = 0
    for row in csv.reader(io.StringIO(data.decode("utf-8"))):
        for cell in row:
            cells += 1
            assert not (cell.startswith(export.FORMULA_START) and not export._NUMBER.fullmatch(cell)), (what, cell)
    return cells


def run_page(spec, params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    return at.run()


# which page gets which link so that it shows its deals, notes and verdicts
SHOW_ALL = {"deal": {"deal": "D01"}, "meeting": {"review": "Q1 review", "step": "1"}}


def test_every_download_of_every_page_neutralises_formulas(app_db, monkeypatch):
    poison(app_db)
    captured: list[tuple[str, str, object]] = []
    real = common.st.download_button

    def spy(label, data, *args, **kwargs):
        captured.append((kwargs.get("file_name", label), label, data))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(common.st, "download_button", spy)
    for spec in PAGES:
        at = run_page(spec, SHOW_ALL.get(spec.url_path))
        assert not at.exception, (spec.url_path, at.exception)
    at = run_page(PAGES[1], {"review": "Q1 review", "step": "2"})  # the D02 step of the meeting
    csvs = {name: data for name, label, data in captured if str(name).endswith(".csv")}
    # the pages' downloads that hold the poisoned text
    for must in (
        "closed_deals_2026-01-01_2026-03-31.csv",
        "retro_notes_D01.csv",
        "credit_receipt_D01.csv",
        "review-pack-q1-review-notes.csv",
        "review-pack-q1-review-D01-touches.csv",
    ):
        assert must in csvs, sorted(csvs)
    unsafe_before = 0
    for name, data in csvs.items():
        raw = data() if callable(data) else data
        assert_csv_safe(raw, name)
        frame = data.args[0] if hasattr(data, "args") else None
        if frame is not None:
            unsafe_before += sum(str(v).startswith(export.FORMULA_START) for v in frame.astype(str).to_numpy().ravel())
    assert unsafe_before >= 6  # the frames themselves held formulas: the test would fail on raw to_csv
    con = db.connect(app_db)
    try:
        pack = report.build_pack(con, "Q1 review")
    finally:
        con.close()
    assert "=1" in set(pack.notes["text"])  # the verdict's comment "\r=1", stripped
    assert assert_csv_safe(report.notes_csv(pack), "report notes CSV") > 0


UNESCAPED = [
    re.compile(p)
    for p in (
        r"(?<!\\)\[(click|i|x)(?<!\\)\]",
        r"(?<!\\)\$E",
        r"(?<!\\)<b>",
        r"(?<!`)www\.",
        r"(?<!`)http",
        r"(?<!\\)\[evil",
        r"(?<!\\)\*\*evil",
    )
]


def markdown_texts(at: AppTest) -> list[str]:
    out = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader"):
        out += [e.value for e in getattr(at, kind)]
    return out


def test_text_from_the_data_and_the_url_is_shown_as_text(app_db):
    poison(app_db)
    evil = "[evil](http://evil.example) **evil**"
    links = {
        "deal": [{"deal": "D02"}, {"deal": evil}, {"q": evil}],
        "meeting": [{"review": "Q1 review", "step": "2"}, {"review": evil}, {"review": "Q1 review", "step": "4"}],
    }
    shown = 0
    for spec in PAGES:
        for params in links.get(spec.url_path, []) + [{"owner": evil, "segment": evil}]:
            at = run_page(spec, params)
            assert not at.exception, (spec.url_path, params, at.exception)
            for text in markdown_texts(at):
                if "evil" in text or "click" in text:
                    shown += 1
                    for pattern in UNESCAPED:
                        assert not pattern.search(text), (spec.url_path, params, text)
    assert shown >= 8  # the poisoned names, comments and links were on screen, escaped


def test_markdown_escaping_keeps_the_characters():
    # a web or mail address is code: GFM links bare addresses whatever is escaped in them
    assert common.md("[a](http://b.c)") == r"\[a\](`http://b.c)`"
    assert common.md("- 1. $x$ *y* www.z.io a@b.io\nnext") == r"\- 1. \$x\$ \*y\* `www.z.io` `a@b.io` next"
    assert common.md("see http://x`y") == "see ``http://x`y``"
    assert common.md(None) == ""
    assert common.md("0001-01-01 12) x") == "0001-01-01 12) x"
    assert common.md("12) x") == r"12\) x"


# --- URL parameters ----------------------------------------------------------------------------------


def page_params(spec) -> list[str]:
    """The URL parameters a page reads, from its source (and the filter bar's when it has one)."""
    src = (ROOT / spec.path).read_text(encoding="utf-8")
    names = set(re.findall(r'from_url\(\s*"[^"]+",\s*"([^"]+)"', src))
    names |= set(re.findall(r'url_value\(\s*"([^"]+)"', src))
    names |= set(re.findall(r'query_params\.get\(\s*"([^"]+)"', src))
    names |= set(re.findall(r'qp\.get\(\s*"([^"]+)"', src))
    names |= set(re.findall(r'key="(\w+)", on_change="rerun", bind="query-params"', src))
    if "filter_bar(" in src:
        names |= set(common.FILTER_PARAMS)
    return sorted(names)


def test_every_page_reads_its_parameters_through_the_checks():
    found = {spec.url_path: page_params(spec) for spec in PAGES}
    assert {"sla", "quarter", "from", "to", "lookback"} <= set(found["sla"])
    assert {"deal", "q", "lookback", "scope", "half_life"} <= set(found["deal"])
    assert {"review", "step", "deals", "n", "model"} <= set(found["meeting"])
    assert {"model", "by", "measure", "half_life", "order"} <= set(found["credit"])
    assert {"mapping", "tab"} <= set(found["import-data"])


# a few per page in `make test`; CLOSEDLOOP_FUZZ_EXAMPLES=50 for a longer hunt
FUZZ_EXAMPLES = int(os.environ.get("CLOSEDLOOP_FUZZ_EXAMPLES", "3"))
EDGE = [
    "inf",
    "-inf",
    "nan",
    "1e309",
    "-1",
    "0",
    "99999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "2026Q1",
    "9999Q4",
    "0000Q1",
    "all",
    "",
    " ",
    "%00",
    "\x00",
    "[x](http://e.io)",
    "1.5",
    "D01",
    "Q1 review",
    "account",
    "contact_roles",
    "w_shaped",
    "markov",
    "2026-02-30",
    "１２",
]
VALUES = st.one_of(
    st.sampled_from(EDGE),
    st.text(max_size=12),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.dates().map(date.isoformat),
)


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_fuzzed_links_never_raise(spec, fuzz_db, monkeypatch):
    monkeypatch.setenv("CLOSEDLOOP_DB", str(fuzz_db))
    names = page_params(spec)

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.dictionaries(st.sampled_from(names), VALUES, min_size=1, max_size=4))
    def check(params):
        at = run_page(spec, params)
        assert not at.exception, (spec.url_path, params, [e.value for e in at.exception])

    check()


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory):
    import fixture

    path = fixture.build(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    reviews.create_review(path, "Q1 review", Filters(*quarter_bounds("2026Q1")), selection="all")
    return path


@pytest.mark.parametrize(
    ("url_path", "params", "note"),
    [
        ("sla", {"sla": "inf"}, "sla=inf"),
        ("sla", {"sla": "0"}, "sla=0"),
        ("meeting", {"from": "0001-01-01", "to": "9999-12-31"}, "from=0001-01-01"),
        ("credit", {"half_life": "nan", "order": "9"}, "half\\_life=nan"),
        ("paths", {"top": "1000"}, "top=1000"),
        ("meeting", {"n": "0", "deals": "largest"}, "n=0"),
        ("deal", {"lookback": "99999"}, "lookback=99999"),
        ("closed-loop-review", {"quarter": "9999Q4"}, "quarter=9999Q4"),
        ("closed-loop-review", {"owner": "Nobody"}, "owner=Nobody"),
    ],
)
def test_known_bad_links_fall_back_with_a_note(app_db, url_path, params, note):
    spec = next(p for p in PAGES if p.url_path == url_path)
    at = run_page(spec, params)
    assert not at.exception, at.exception
    warnings = [w.value for w in at.warning]
    assert any(note in w and "can't be used" in w for w in warnings), warnings


def test_filter_links_are_checked_against_their_type_and_range():
    assert query_param_problems({"quarter": "2026Q1", "lookback": "30", "scope": "account"}) == []
    assert query_param_problems({"quarter": ALL_TIME}) == []
    assert [p[0] for p in query_param_problems({"from": "0001-01-01", "to": "9999-12-31"})] == ["from", "to"]
    assert [p[0] for p in query_param_problems({"from": "2026-03-01", "to": "2026-01-01"})] == ["from"]
    assert [p[0] for p in query_param_problems({"from": "2026-03-01"})] == ["to"]
    assert [
        p[0] for p in query_param_problems({"lookback": "-1", "scope": "x", "region": "Mars"}, regions=["EMEA"])
    ] == ["lookback", "scope", "region"]
    # what the page then uses: the default quarter
    f, q = from_query_params({"from": "0001-01-01", "to": "9999-12-31", "lookback": "1e9"}, "2026Q1")
    assert (f.date_from, f.date_to, f.lookback_days, q) == (date(2026, 1, 1), date(2026, 3, 31), 180, "2026Q1")
    assert quarter_bounds("9999Q4") == (date(9999, 10, 1), date(9999, 12, 31))
    assert reviews.period_label(Filters(date(1, 1, 1), date(9999, 12, 31))) == "1-01-01 to 9999-12-31"


# --- the period: All time, and a one-sided period -----------------------------------------------------


def test_all_time_covers_every_closed_deal(app_db):
    at = run_page(PAGES[0], {"quarter": ALL_TIME})
    assert not at.exception
    assert at.radio(key="f_mode").value == "All time"
    # 2026Q1: 5 won, 3 lost; 2025Q4: D09 lost, D12 won
    assert {m.label: m.value for m in at.metric}["Deals won"] == "6"
    assert {m.label: m.value for m in at.metric}["Deals lost"] == "4"
    assert at.query_params["quarter"] == ALL_TIME
    assert not [w.value for w in at.warning]


def test_a_period_with_only_wins_or_only_losses_says_so(app_db):
    con = duckdb_rw(app_db)
    try:  # D09 (lost) leaves 2025Q4 to D12 alone: a won-only quarter
        con.execute("update deals set closed_at = timestamp '2026-02-15' where deal_id = 'D09'")
    finally:
        con.close()
    at = run_page(PAGES[0], {"quarter": "2025Q4"})
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "This period has 1 win and no losses — losses may be dated differently (e.g. at first contact); try All time."
    ]
    at = run_page(PAGES[0], {"quarter": "2026Q1"})
    assert not at.warning
    assert common.one_sided(0, 27) == (
        "This period has 27 losses and no wins — wins may be dated differently; try All time."
    )
    assert common.one_sided(3, 1) is None and common.one_sided(0, 0) is None


def test_the_command_line_csvs_neutralise_formulas(fixture_db, tmp_path, capsys):
    """`attribute` and `lift` by campaign, and `import --report`, write CSVs that spreadsheets open:
    a campaign named like a formula, or a bad value quoted in an import problem, is text there."""
    from closedloop.cli import main

    poison(fixture_db)
    for argv in (["attribute", "--model", "linear", "--by", "campaign"], ["lift", "--by", "campaign"]):
        assert main([*argv, "--db", str(fixture_db), "--format", "csv"]) == 0
        rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        cells = [cell for row in rows for cell in row]
        assert "'" + FORMULAS[3] in cells, argv  # "@SUM(1)", the poisoned campaign name, quoted
        assert FORMULAS[3] not in cells, argv
    bad = tmp_path / "deals.csv"
    bad.write_text(
        "deal_id,account_id,name,owner,created_at,closed_at,stage,outcome,amount\n"
        'D99,A1,x,y,2026-01-05,,open,open,"=1+2"\n'
    )
    report_csv = tmp_path / "problems.csv"
    main(["import", "--db", str(fixture_db), "--mapping", "canonical", str(bad), "--report", str(report_csv)])
    values = [row["value"] for row in csv.DictReader(report_csv.open())]
    assert "'=1+2" in values and "=1+2" not in values
