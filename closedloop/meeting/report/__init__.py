"""The meeting pack: what a review meeting sends afterwards, as one self-contained HTML file
or a PDF.

Contents: the period's KPIs and agenda, the attribution chart (the review's model, by
channel) and the touchpoint-type lift chart, each reviewed deal's timeline with its
credit and the teams' verdicts and notes, and the agreement summary with its talking
points. Charts are rendered to images by vl-convert (SVG inlined in the HTML, PNG in
the PDF), tables are tables; nothing is fetched from the network. The PDF is laid out
with reportlab: a cover page, a page of charts, a page per deal and a summary page.

The pack (model.py) is assembled in pack.py from sections.py and drawn by html.py and pdf.py; this module picks the
format.
"""

from __future__ import annotations

from pathlib import Path

from closedloop import db
from closedloop.meeting import reviews
from closedloop.meeting.report.html import chart_png, chart_svg, render_html
from closedloop.meeting.report.model import DEFAULT_MAX_DEAL_PAGES, DealSection, MeetingPack, Progress, Table
from closedloop.meeting.report.pack import build_pack, notes_csv
from closedloop.meeting.report.pdf import pdf_page_count, render_pdf

__all__ = [
    "DEFAULT_MAX_DEAL_PAGES",
    "FORMATS",
    "DealSection",
    "MeetingPack",
    "Progress",
    "Table",
    "build_pack",
    "chart_png",
    "chart_svg",
    "file_stem",
    "notes_csv",
    "pack_bytes",
    "pdf_page_count",
    "render",
    "render_html",
    "render_pdf",
]

FORMATS = ("html", "pdf")


def render(pack: MeetingPack, fmt: str, progress: Progress | None = None) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"The format must be one of {', '.join(FORMATS)}, got {fmt!r}.")
    return render_html(pack, progress).encode("utf-8") if fmt == "html" else render_pdf(pack, progress)


def pack_bytes(db_path: str | Path, review_name: str, fmt: str, progress: Progress | None = None) -> bytes:
    """A saved review's pack as bytes, on a connection of its own; `progress(done, total, what)` is
    called as the deal pages are gathered, then drawn (the dashboard's progress bar)."""
    con = db.connect(db_path, read_only=True)
    try:
        return render(build_pack(con, review_name, progress=progress), fmt, progress)
    finally:
        con.close()


def file_stem(name: str) -> str:
    """'2026Q1 won deals' -> 'review-pack-2026q1-won-deals'."""
    return "review-pack-" + reviews.slug(name)
