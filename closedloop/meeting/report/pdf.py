"""The meeting pack as a PDF laid out with reportlab: a cover page, a page of charts, a page per
deal and a summary page."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import altair as alt

from closedloop.meeting.report.html import chart_png
from closedloop.meeting.report.model import MeetingPack, Progress, Table, _no_progress

# --- PDF ------------------------------------------------------------------------------------------------

_FONT_FILES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)


def _fonts() -> tuple[str, str]:
    """A Unicode TrueType font (DejaVu Sans where installed, else reportlab's bundled Vera), so
    names and comments in any Latin script, curly quotes and dashes print."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "ClosedLoop" in pdfmetrics.getRegisteredFontNames():
        return "ClosedLoop", "ClosedLoop-Bold"
    candidates = [*_FONT_FILES]
    for folder in rl_config.TTFSearchPath:
        candidates.append((str(Path(folder) / "Vera.ttf"), str(Path(folder) / "VeraBd.ttf")))
    for regular, bold in candidates:
        if Path(regular).exists() and Path(bold).exists():
            pdfmetrics.registerFont(TTFont("ClosedLoop", regular))
            pdfmetrics.registerFont(TTFont("ClosedLoop-Bold", bold))
            return "ClosedLoop", "ClosedLoop-Bold"
    return "Helvetica", "Helvetica-Bold"


# A table row can't break across pages: a cell this long still fits a page in the narrowest column.
# The HTML pack and the notes CSV keep the whole text.
MAX_PDF_CELL_CHARS = 600


def _clip(text: str) -> str:
    return text if len(text) <= MAX_PDF_CELL_CHARS else text[: MAX_PDF_CELL_CHARS - 1].rstrip() + "…"


# Tables longer than this are laid out one line per row in the PDF (see render_pdf's table()).
PLAIN_PDF_TABLE_ROWS = 300


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def render_pdf(pack: MeetingPack, progress: Progress | None = None) -> bytes:
    """The pack as an A4 PDF: cover (KPIs, agenda), charts, one page per deal, the summary."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        LongTable,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        TableStyle,
    )
    from reportlab.platypus import Table as RLTable

    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=12)
    styles = {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=bold,
            fontSize=13,
            leading=16,
            spaceBefore=8,
            spaceAfter=5,
            textColor=colors.HexColor("#0d47a1"),
        ),
        "h3": ParagraphStyle("h3", parent=base, fontName=bold, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3),
        "sub": ParagraphStyle("sub", parent=base, textColor=colors.HexColor("#555555")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "num": ParagraphStyle("num", parent=base, fontSize=7.5, leading=9.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=7.5, leading=9.5),
    }
    page_w, page_h = A4
    margin = 1.5 * cm
    width = page_w - 2 * margin

    def p(text: str, style: str = "base") -> Paragraph:
        return Paragraph(escape(text), styles.get(style, base))

    def table(t: Table) -> RLTable:
        rel = t.widths or tuple(1.0 for _ in t.header)
        widths = [width * w / sum(rel) for w in rel]
        data = [[Paragraph(escape(h), styles["head"]) for h in t.header]]
        plain = len(t.rows) > PLAIN_PDF_TABLE_ROWS
        if plain:
            # thousands of rows (a year's agenda): one line per row, each cell cut to its column's
            # width, instead of a wrapped paragraph per cell (about 10x faster to lay out)
            fits = [max(3, int(w / (7.5 * 0.55))) for w in widths]
            data += [[_cut(v, fits[i]) for i, v in enumerate(row)] for row in t.rows]
            out = LongTable(data, colWidths=widths, repeatRows=1)
        else:
            data += [
                [Paragraph(escape(_clip(v)), styles["num" if i in t.numeric else "cell"]) for i, v in enumerate(row)]
                for row in t.rows
            ]
            out = RLTable(data, colWidths=widths, repeatRows=1)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#d0d0d0")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        if plain:
            style += [("FONT", (0, 1), (-1, -1), regular, 7.5)]
            style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in t.numeric]
        out.setStyle(TableStyle(style))
        return out

    def image(chart: alt.TopLevelMixin | None, what: str, max_h: float) -> Any:
        if chart is None:
            return p(f"{what}: nothing to draw for this period.", "sub")
        png = chart_png(chart)
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(io.BytesIO(png)).getSize()
        scale = min(width / w, max_h / h)
        return Image(io.BytesIO(png), width=w * scale, height=h * scale)

    story: list[Any] = [
        p(pack.title, "title"),
        *[p(s, "sub") for s in pack.subtitle],
        Spacer(1, 8),
        p("The period in figures", "h2"),
    ]
    kpi_rows = [pack.kpis[i : i + 4] for i in range(0, len(pack.kpis), 4)]
    kpi_data = [
        [Paragraph(f"{escape(k)}<br/><font name='{bold}' size='13'>{escape(v)}</font>", base) for k, v in row]
        + [""] * (4 - len(row))
        for row in kpi_rows
    ]
    kpis = RLTable(kpi_data, colWidths=[width / 4] * 4)
    kpis.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.4, colors.HexColor("#d0d0d0")),
                ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d0d0d0")),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [
        kpis,
        p("Agenda", "h2"),
        *([p(pack.deal_pages_note, "sub")] if pack.deal_pages_note else []),
        table(pack.agenda),
        PageBreak(),
        p("Attribution and lift", "h2"),
        image(pack.attribution_chart, "Won revenue by channel", 10 * cm),
        p(pack.attribution_caption, "sub"),
        Spacer(1, 8),
        image(pack.lift_chart, "Win-rate lift by touchpoint type", 10.5 * cm),
        p(pack.lift_caption, "sub"),
        *[p(n) for n in pack.lift_adjusted_notes],
    ]
    if pack.spend is not None:
        story += [p("Spend and return", "h2"), table(pack.spend), p(pack.spend_caption, "sub")]
    if pack.time_lag is not None or pack.path_length is not None:
        # a page of its own: two tables of up to 11 bands each, which never fit beside the charts
        story += [PageBreak(), p("Time to close and path length, won vs lost", "h2")]
        story += [table(t) for t in (pack.time_lag, pack.path_length) if t is not None]
        story += [p(pack.paths_caption, "sub")]
    progress = progress or _no_progress
    progress(0, len(pack.deals), "Drawing deal pages")
    for i, d in enumerate(pack.deals, start=1):
        story += [
            PageBreak(),
            p(d.heading, "h2"),
            p(d.facts, "sub"),
            Spacer(1, 4),
            image(d.timeline, "Timeline", 8.5 * cm),
            p(d.whole_deal),
            p(d.touches_title, "h3"),
            table(d.touches),
            p("Notes", "h3"),
            table(d.notes) if d.notes else p("No notes on this deal in this review.", "sub"),
        ]
        progress(i, len(pack.deals), "Drawing deal pages")
    story += [PageBreak(), p("Agreement summary", "h2"), p(pack.summary_headline)]
    if pack.agreement_chart is not None:
        story.append(image(pack.agreement_chart, "Agreement", 9 * cm))
    if pack.agreement_table is not None:
        story += [p("Per touchpoint type", "h3"), table(pack.agreement_table)]
    if pack.talking_points is not None:
        story += [p("Talking points: where marketing and sales disagree", "h3"), table(pack.talking_points)]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#777777"))
        canvas.drawString(
            margin, 0.8 * cm, f"Closed Loop · {pack.title} · generated {pack.generated_at:%d %b %Y %H:%M}"
        )
        canvas.drawRightString(page_w - margin, 0.8 * cm, f"page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=pack.title,
        author="Closed Loop",
        subject="Review meeting pack",
        creator="Closed Loop",
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF written by render_pdf (counts its /Type /Page objects)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?!s)\b", pdf))
