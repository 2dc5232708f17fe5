"""The meeting pack and `python -m closedloop report` on the fixture (figures in tests/fixture.py;
the review and its verdicts are those of tests/test_reviews.py)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import fixture
import pytest
from test_reviews import NAME, judge, start

from closedloop import db
from closedloop.cli import main
from closedloop.meeting import report
from closedloop.meeting.report import pdf as pack_pdf

WON_Q1 = ["Dynamo enterprise", "Acme platform", "Acme expansion", "Borealis analytics", "Granite team plan"]
LOST_Q1 = ["Evergreen rollout", "Cobalt pilot", "Fjord starter"]
Q1 = ("--from", "2026-01-01", "--to", "2026-03-31")


def report_cli(database: Path, out: Path, *args: str) -> int:
    """`python -m closedloop report --db DATABASE ARGS --out OUT`: its exit code."""
    return main(["report", "--db", str(database), *args, "--out", str(out)])


@pytest.fixture(scope="module")
def judged_db(tmp_path_factory) -> Path:
    """The fixture with the review "2026Q1 won deals" and the meeting's verdicts on D04 and D01."""
    path = fixture.build(tmp_path_factory.mktemp("report") / "fixture.duckdb")
    judge(path, start(path))
    return path


@pytest.fixture(scope="module")
def html_pack(judged_db, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("html") / "pack.html"
    assert report_cli(judged_db, out, "--review", NAME, "--format", "html") == 0
    return out.read_text(encoding="utf-8")


def test_html_pack_holds_the_kpis_every_deal_and_the_summary(html_pack):
    text = html_pack
    for figure in ("Deals won", "Win rate", "62.5%", "$402,000", "50 days", "80%", "60%"):
        assert figure in text, figure
    for name in WON_Q1:
        assert name in text, name
    assert "Evergreen rollout" not in text  # lost deals are not on this agenda
    # each deal's own section, in agenda order
    headings = re.findall(r'<section class="deal"><h2>(\d+)\. ([^<]+)</h2>', text)
    assert headings == [(str(i), n) for i, n in enumerate(WON_Q1, 1)]
    # verdicts, comments and the agreement summary worked out in tests/test_reviews.py
    assert "The exec meeting closed it" in text and "Webinar brought the VP in" in text
    assert "Deals discussed: 2 of 5" in text
    assert "they agreed on 1 (33%)" in text
    assert "Talking points (verdicts that differ): 2" in text
    assert (
        '<td>Sales meeting</td><td class="num">2</td><td>0 of 2 (0%)</td><td>2 of 2 (100%)</td>'
        '<td class="num">40.0%</td>' in text
    )
    assert "W-shaped" in text and "30% FT, 30% LC, 30% OC" in text


def test_html_pack_is_self_contained(html_pack):
    assert "<script" not in html_pack
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html_pack)
    assert "@import" not in html_pack and "url(" not in html_pack
    # attribution, lift, five timelines and the agreement chart: inline SVG images
    assert html_pack.count('src="data:image/svg+xml;base64,') == 8


def test_pdf_pack_is_a_pdf_with_a_page_per_deal(judged_db, tmp_path, capsys):
    out = tmp_path / "pack.pdf"
    notes = tmp_path / "notes.csv"
    # the format follows --out's suffix
    assert report_cli(judged_db, out, "--review", NAME, "--notes-csv", str(notes)) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    # cover (KPIs, agenda) + attribution and lift + time to close and path length + 5 deals + agreement summary
    assert report.pdf_page_count(data) == 9
    assert re.search(rb"/Count 9\b", data)
    said = capsys.readouterr().out
    assert f"Wrote {out} (pdf, 9 pages): 5 deals, 8 notes." in said
    rows = list(csv.DictReader(notes.open(encoding="utf-8")))
    assert len(rows) == 8
    assert [r["deal_id"] for r in rows] == ["D04"] * 3 + ["D01"] * 5
    assert {r["review_id"] for r in rows} == {"2026q1-won-deals"}
    assert rows[1]["text"] == "The exec meeting closed it" and rows[1]["verdict"] == "critical"


def test_period_pack_of_the_lost_deals(judged_db, tmp_path):
    out = tmp_path / "lost.html"
    assert report_cli(judged_db, out, *Q1, "--select", "lost", "--model", "linear") == 0
    text = out.read_text(encoding="utf-8")
    assert "Closed-loop review pack: 2026Q1" in text
    assert "Agenda: lost deals only (3 deals)" in text
    assert "Credit model: Linear — equal share per touch" in text
    for name in LOST_Q1:
        assert name in text
    assert "Dynamo enterprise" not in text
    # nobody judged a lost deal yet
    assert "No verdicts recorded yet" in text
    pdf = tmp_path / "lost.pdf"
    assert report_cli(judged_db, pdf, *Q1, "--select", "lost", "--format", "pdf") == 0
    assert report.pdf_page_count(pdf.read_bytes()) == 1 + 1 + 1 + 3 + 1  # the path reports' page too


def test_period_pack_counts_every_note_on_its_deals(judged_db):
    from closedloop.filters import Filters, quarter_bounds

    con = db.connect(judged_db)
    try:
        pack = report.build_pack(con, filters=Filters(*quarter_bounds("2026Q1")), selection="largest", largest_n=2)
    finally:
        con.close()
    assert pack.deal_names == ["1. Dynamo enterprise", "2. Acme platform"]
    assert len(pack.notes) == 8
    assert pack.summary_headline.startswith("Deals discussed: 2 of 2.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--review", "Q9 review"], "There is no review named 'Q9 review'. Saved reviews: 2026Q1 won deals."),
        (["--review", NAME, "--top", "3"], "drop --top"),
        (["--from", "2026-01-01"], "Give --review NAME, or a period with both --from and --to."),
        (
            ["--from", "2026-01-01", "--to", "2026-03-31", "--select", "picked", "--deal", "D09"],
            "Not closed in this period (or not matching the filters): D09.",
        ),
    ],
)
def test_report_errors_say_what_to_do(judged_db, tmp_path, capsys, args, message):
    out = tmp_path / "x.html"
    assert report_cli(judged_db, out, *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_long_and_marked_up_comments_are_escaped_and_fit_the_pdf(fixture_db):
    from closedloop.meeting import reviews

    review_id = start(fixture_db)
    comment = ("<b>Bold</b> & “curly” — émigré " * 80)[:2000]  # the longest comment a note holds
    for team in ("marketing", "sales"):
        reviews.record_verdict(
            fixture_db, review_id, "D04", team, "critical" if team == "sales" else "noise", comment, touchpoint_id="T16"
        )
    con = db.connect(fixture_db)
    try:
        pack = report.build_pack(con, NAME)
    finally:
        con.close()
    html = report.render_html(pack)
    assert "<b>Bold</b>" not in html and "&lt;b&gt;Bold&lt;/b&gt; &amp; “curly”" in html
    # a table row can't break across pages: long cells are clipped in the PDF, whole in the HTML and CSV
    assert report.pdf_page_count(report.render_pdf(pack)) == 9
    assert report.notes_csv(pack).decode("utf-8").count("émigré") == 2 * comment.count("émigré")


def test_a_long_agenda_pages_only_the_first_deals_and_says_so(judged_db, tmp_path, capsys):
    out = tmp_path / "capped.html"
    assert report_cli(judged_db, out, *Q1, "--max-deal-pages", "3") == 0
    captured = capsys.readouterr()
    # the 8 closed deals of Q1 2026, largest first: D04, D01, D07, D02, D05 | D08, D03, D06
    assert "Wrote " in captured.out and ": 8 deals, 3 with a page," in captured.out
    assert "Deal pages: 0 of 3" in captured.err and "Deal pages: 3 of 3" in captured.err
    assert "Drawing deal pages: 3 of 3" in captured.err
    assert (
        "The agenda lists all 8 deals; a page with its timeline, credit and notes is written for the first 3"
        in captured.err
    )
    text = out.read_text(encoding="utf-8")
    assert "The agenda lists all 8 deals" in text
    assert re.findall(r'<section class="deal"><h2>([^<]+)</h2>', text) == [
        "1. Dynamo enterprise",
        "2. Acme platform",
        "3. Acme expansion",
        "Agreement summary",
    ]
    assert text.count("Granite team plan") == 1  # in the agenda table, without a page of its own


def test_report_quiet_and_an_agenda_under_the_cap_say_nothing_about_it(judged_db, tmp_path, capsys):
    out = tmp_path / "all.html"
    assert report_cli(judged_db, out, *Q1, "--quiet") == 0
    captured = capsys.readouterr()
    assert captured.err == "" and ": 8 deals, " in captured.out and "with a page" not in captured.out
    assert "The agenda lists all" not in out.read_text(encoding="utf-8")


def test_build_pack_cap_and_progress(judged_db):
    from closedloop.filters import Filters, quarter_bounds

    calls = []
    con = db.connect(judged_db)
    try:
        pack = report.build_pack(
            con,
            filters=Filters(*quarter_bounds("2026Q1")),
            max_deal_pages=0,
            progress=lambda done, total, what: calls.append((done, total, what)),
        )
    finally:
        con.close()
    assert pack.deals == [] and len(pack.agenda.rows) == 8
    assert calls == [(0, 0, "Deal pages")]
    assert "for the first 0 in agenda order" in pack.deal_pages_note
    with pytest.raises(ValueError, match="0 or more"):
        report.build_pack(db.connect(judged_db), filters=Filters(*quarter_bounds("2026Q1")), max_deal_pages=-1)


def test_a_long_agenda_is_laid_out_one_line_per_row_in_the_pdf(judged_db, monkeypatch):
    from closedloop.filters import Filters, quarter_bounds

    con = db.connect(judged_db)
    try:
        pack = report.build_pack(con, filters=Filters(*quarter_bounds("2026Q1")), max_deal_pages=1)
    finally:
        con.close()
    monkeypatch.setattr(pack_pdf, "PLAIN_PDF_TABLE_ROWS", 2)  # the 8-row agenda takes the long-table path
    # cover, charts, time to close and path length, 1 deal, summary
    assert report.pdf_page_count(report.render_pdf(pack)) == 1 + 1 + 1 + 1 + 1
    assert pack_pdf._cut("Dynamo enterprise", 8) == "Dynamo…" and pack_pdf._cut("Acme", 8) == "Acme"


def test_pack_holds_time_to_close_and_path_length_won_vs_lost(judged_db, html_pack):
    """Worked by hand from tests/fixture.py (as tests/test_path_reports.py): Q1 2026's closed deals,
    account scope, 180-day window; days from first touch to close and touches in the window:
    D01 won 101 d 5 t, D02 won 167 d 2 t, D03 lost 49 d 3 t, D04 won 59 d 2 t, D05 lost 69 d 3 t,
    D06 lost no touch, D07 won 149 d 7 t, D08 won 18 d 2 t: 5 won, 3 lost."""
    from closedloop.filters import Filters, quarter_bounds

    con = db.connect(judged_db)
    try:
        pack = report.build_pack(con, filters=Filters(*quarter_bounds("2026Q1"), lookback_days=180))
    finally:
        con.close()
    assert pack.time_lag is not None and pack.path_length is not None
    assert pack.time_lag.header[:4] == ["Days from first touch to close", "Won", "Lost", "Win rate"]
    lag = {r[0]: r[1:] for r in pack.time_lag.rows if r[1:3] != ["0", "0"]}
    assert lag == {
        # won, lost, win rate, share of won (of 5), share of lost (of 3), mean days won, lost
        "15–30 days": ["1", "0", "100%", "20%", "0%", "18.0", "–"],  # D08
        "31–60 days": ["1", "1", "50%", "20%", "33%", "59.0", "49.0"],  # D04; D03
        "61–90 days": ["0", "1", "0%", "0%", "33%", "–", "69.0"],  # D05
        "91–180 days": ["3", "0", "100%", "60%", "0%", "139.0", "–"],  # D01, D02, D07: 417 / 3
        "(no touchpoint)": ["0", "1", "0%", "0%", "33%", "–", "–"],  # D06
    }
    # every band is listed in order, an empty one with no win rate
    assert pack.time_lag.rows[0] == ["0–7 days", "0", "0", "–", "0%", "0%", "–", "–"]
    length = {r[0]: r[1:] for r in pack.path_length.rows if r[1:3] != ["0", "0"]}
    assert length == {
        "2 touches": ["3", "0", "100%", "60%", "0%", "2.0", "–"],  # D02, D04, D08
        "3 touches": ["0", "2", "0%", "0%", "67%", "–", "3.0"],  # D03, D05
        "5 touches": ["1", "0", "100%", "20%", "0%", "5.0", "–"],  # D01
        "6–10 touches": ["1", "0", "100%", "20%", "0%", "7.0", "–"],  # D07
        "(no touchpoint)": ["0", "1", "0%", "0%", "33%", "–", "–"],  # D06
    }
    assert "180 days before creation" in pack.paths_caption
    # drawn in the HTML pack (the saved review's period is Q1 2026 too)
    assert "Time to close and path length, won vs lost" in html_pack
    assert "Days from first touch to close" in html_pack and "Touches to close" in html_pack


@pytest.mark.parametrize(
    "median, won_dates_unknown, shown",
    [(12.4, 0, "12 days"), (12.4, 3, "12 days"), (None, 3, "dates unknown"), (None, 0, "–")],
)
def test_the_packs_median_days_to_close_says_when_dates_are_unknown(median, won_dates_unknown, shown):
    from closedloop.meeting.report.sections import _kpis

    k = {
        "deals_won": 3,
        "deals_lost": 1,
        "win_rate": 0.75,
        "revenue_won_usd": 100.0,
        "median_days_to_close": median,
        "won_dates_unknown": won_dates_unknown,
        "share_won_marketing_touched": 1.0,
        "share_won_sales_touched": 0.0,
    }
    assert dict(_kpis(k))["Median days to close"] == shown
