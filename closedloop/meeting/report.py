"""The meeting pack: what a review meeting sends afterwards, as one self-contained HTML file
or a PDF.

Contents: the period's KPIs and agenda, the attribution chart (the review's model, by
channel) and the touchpoint-type lift chart, each reviewed deal's timeline with its
credit and the teams' verdicts and notes, and the agreement summary with its talking
points. Charts are rendered to images by vl-convert (SVG inlined in the HTML, PNG in
the PDF), tables are tables; nothing is fetched from the network. The PDF is laid out
with reportlab: a cover page, a page of charts, a page per deal and a summary page.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import duckdb
import pandas as pd

from closedloop import charts, db, export
from closedloop.engine import attribution, spend
from closedloop.filters import Filters
from closedloop.meeting import reviews
from closedloop.pages import lift as lift_view
from closedloop.pages import lift_adjusted, review

FORMATS = ("html", "pdf")
CHART_WIDTH_PX = 720
# A pack lists every deal of its agenda in the agenda table, but writes a page (timeline, credit,
# notes) for at most this many, in agenda order: a page takes about half a second to build and
# draw, and nobody reads thousands. `report --max-deal-pages N` changes it (docs/review-meeting.md).
DEFAULT_MAX_DEAL_PAGES = 50

# progress(done, total, what): called as the pack is built and drawn ("Deal pages", 3, 50).
Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, what: str) -> None:
    return None


# --- what the pack holds, independent of its format -----------------------------------------------


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    widths: tuple[float, ...] | None = None  # relative column widths in the PDF


@dataclass(frozen=True)
class DealSection:
    position: int
    heading: str
    facts: str
    timeline: alt.TopLevelMixin
    whole_deal: str
    touches_title: str
    touches: Table
    notes: Table | None


@dataclass(frozen=True)
class MeetingPack:
    title: str
    subtitle: list[str]
    kpis: list[tuple[str, str]]
    agenda: Table
    attribution_chart: alt.TopLevelMixin | None
    attribution_caption: str
    lift_chart: alt.TopLevelMixin | None
    lift_caption: str
    deals: list[DealSection]
    summary_headline: str
    agreement_chart: alt.TopLevelMixin | None
    agreement_table: Table | None
    talking_points: Table | None
    notes: pd.DataFrame  # every note of the review (review_notes): the CSV export
    deal_pages_note: str = ""  # said when the agenda has more deals than get a page
    # where the lift adjusted for the account disagrees with the raw lift (closedloop.pages.lift_adjusted)
    lift_adjusted_notes: list[str] = field(default_factory=list)
    spend: Table | None = None  # spend and return per channel (closedloop.engine.spend), when spend is recorded
    spend_caption: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def deal_names(self) -> list[str]:
        return [d.heading for d in self.deals]


def _text(value: Any, empty: str = "–") -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return empty
    return str(value)


def _money(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"${value:,.0f}"


def _day(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:%d %b %Y}"


def _pct(value: Any, pattern: str = "{:.0%}") -> str:
    return "–" if value is None or pd.isna(value) else pattern.format(value)


def _verdict(verdict: Any, comment: Any = None) -> str:
    if verdict is None or pd.isna(verdict):
        return "–"
    text = _text(comment, "")
    return f"{verdict}: “{text}”" if text else str(verdict)


def _kpis(k: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Deals won", f"{k['deals_won']:,}"),
        ("Deals lost", f"{k['deals_lost']:,}"),
        ("Win rate", _pct(k["win_rate"], "{:.1%}")),
        ("Revenue won", _money(k["revenue_won_usd"])),
        (
            "Median days to close",
            "–" if k["median_days_to_close"] is None else f"{k['median_days_to_close']:,.0f} days",
        ),
        ("Wins marketing touched", _pct(k["share_won_marketing_touched"])),
        ("Wins sales touched", _pct(k["share_won_sales_touched"])),
    ]


def _agenda_table(agenda: pd.DataFrame) -> Table:
    rows = [
        [
            str(r.position),
            _text(r.deal_name, r.deal_id),
            _text(r.account_name),
            _text(r.owner),
            _text(r.outcome),
            _money(r.amount_usd),
            _day(r.closed_on),
            f"{r.marketing_notes} / {r.sales_notes}",
        ]
        for r in agenda.itertuples()
    ]
    return Table(
        ["#", "Deal", "Account", "Owner", "Outcome", "Amount (USD)", "Closed", "Notes: marketing / sales"],
        rows,
        frozenset({0, 5, 7}),
        (0.4, 2.4, 2, 1, 1.1, 1.4, 1.4, 1.9),
    )


def _spend_table(report: pd.DataFrame) -> Table | None:
    """Spend and return per channel with spend (spend.spend_report), or None when nothing was spent."""
    spent = report[report["spend_usd"] > 0]
    if spent.empty:
        return None

    def ratio(v: Any) -> str:
        return "–" if pd.isna(v) else f"{v:,.2f}"

    rows = [
        [
            _text(r.key),
            _money(r.spend_usd),
            f"{r.attributed_wins:,.2f}",
            _money(r.attributed_revenue_usd),
            "–" if pd.isna(r.cac_usd) else _money(r.cac_usd),
            ratio(r.roas),
        ]
        for r in spent.itertuples()
    ]
    return Table(
        [
            "Channel",
            "Spend (USD)",
            "Attributed wins",
            "Attributed won revenue (USD)",
            "Cost per won deal (USD)",
            "ROAS",
        ],
        rows,
        frozenset({1, 2, 3, 4, 5}),
        (1.6, 1.3, 1.1, 1.7, 1.5, 0.8),
    )


def _deal_section(position: int, total: int, step: reviews.DealStep) -> DealSection:
    d = step.deal
    name = d["deal_name"]
    touches = step.touches
    n_mkt = int((touches["team"] == "marketing").sum())
    facts = " · ".join(
        [
            _text(d["account_name"], "no account"),
            f"owner {_text(d['owner'])}",
            d["outcome"],
            _money(d["amount_usd"]),
            f"created {_day(d['created_on'])}",
            f"closed {_day(d['closed_on'])}" if d["outcome"] != "open" else "open",
            f"{d['days_to_close']:,} days to close" if d["days_to_close"] is not None else "",
            f"{len(touches)} touches ({n_mkt} marketing, {len(touches) - n_mkt} sales)",
        ]
    )
    whole = "; ".join(
        f"{team.capitalize()}: {_verdict(*step.deal_verdicts[team]) if team in step.deal_verdicts else 'no verdict'}"
        for team in ("marketing", "sales")
    )
    rows = [
        [
            "" if pd.isna(r.touch_number) else str(int(r.touch_number)),
            _day(r.occurred_at) if not pd.isna(r.occurred_at) else "–",
            _text(r.team),
            charts.label(r.touchpoint_type) if isinstance(r.touchpoint_type, str) else "No touchpoint",
            _text(r.campaign),
            _text(r.positions),
            _pct(r.credit, "{:.1%}"),
            _text(r.marketing_verdict),
            _text(r.sales_verdict),
        ]
        for r in step.credit.itertuples()
    ]
    touches_table = Table(
        ["#", "Date", "Team", "Touchpoint type", "Campaign", "Positions", "Credit", "Marketing says", "Sales says"],
        rows,
        frozenset({0, 6}),
        (0.5, 1.4, 1.2, 2, 1.8, 1.2, 0.9, 1.3, 1.3),
    )
    notes_table = None
    if len(step.notes):
        notes_table = Table(
            ["Noted", "Team", "Verdict", "About", "Comment"],
            [
                [
                    f"{r.created_at:%d %b %Y %H:%M}",
                    r.team,
                    _text(r.verdict),
                    "the deal" if r.subject == "deal" else f"{r.touchpoint_id} · {charts.label(r.touchpoint_type)}",
                    _text(r.text, ""),
                ]
                for r in step.notes.itertuples()
            ],
            widths=(1.9, 1.2, 1, 2.4, 4.5),
        )
    return DealSection(
        position=position,
        heading=f"{position}. {name}",
        facts=" · ".join(p for p in facts.split(" · ") if p),
        timeline=charts.deal_timeline(touches, step.markers, f"Deal {position} of {total}: {name}"),
        whole_deal=f"Verdicts on the whole deal — {whole}.",
        touches_title=f"Touches, their credit under {step.model_label} and the teams' current verdicts",
        touches=touches_table,
        notes=notes_table,
    )


def _critical(critical: int, verdicts: int) -> str:
    return f"{critical} of {verdicts} ({critical / verdicts:.0%})" if verdicts else "no verdict"


def _agreement_parts(a: reviews.Agreement) -> tuple[str, Any, Table | None, Table | None]:
    if a.empty:
        return (
            "No verdicts recorded yet: the agreement summary fills in as the teams judge the deals.",
            None,
            None,
            None,
        )
    rate = a.agreement_rate
    headline = (
        f"Deals discussed: {a.deals_discussed} of {a.deals_total}. Touches both teams judged: "
        f"{a.touches_judged_by_both}; they agreed on {a.touches_agreed}"
        + (f" ({rate:.0%})" if rate is not None else "")
        + f". Talking points (verdicts that differ): {len(a.disagreements)}. "
        f"Model credit: the share of the discussed deals' credit under {a.model_label} "
        "(each deal's credit adds up to 1)."
    )
    bt = a.by_type
    table = Table(
        [
            "Touchpoint type",
            "Touches",
            "Marketing: critical",
            "Sales: critical",
            f"{a.model_label} credit",
            "Both judged",
            "Agreed",
        ],
        [
            [
                charts.label(r.touchpoint_type),
                str(r.touches),
                _critical(r.marketing_critical, r.marketing_verdicts),
                _critical(r.sales_critical, r.sales_verdicts),
                f"{r.model_credit_share:.1%}",
                str(r.touches_judged_by_both),
                str(r.touches_agreed),
            ]
            for r in bt.itertuples()
        ],
        frozenset({1, 4, 5, 6}),
        (2.2, 0.9, 1.6, 1.6, 1.4, 1, 0.9),
    )
    talking = None
    if len(a.disagreements):
        talking = Table(
            ["#", "Deal", "Touch", "Marketing said", "Sales said"],
            [
                [
                    str(r.position),
                    _text(r.deal_name, r.deal_id),
                    "the whole deal"
                    if pd.isna(r.touchpoint_id)
                    else f"{r.touchpoint_id} · {_day(r.touch_on)} · {charts.label(r.touchpoint_type)}",
                    _verdict(r.marketing_verdict, r.marketing_comment),
                    _verdict(r.sales_verdict, r.sales_comment),
                ]
                for r in a.disagreements.itertuples()
            ],
            frozenset({0}),
            (0.4, 2, 2.6, 2.5, 2.5),
        )
    chart = charts.review_agreement(bt, a.model_label) if len(bt) else None
    return headline, chart, table, talking


def build_pack(
    con: duckdb.DuckDBPyConnection,
    review_name: str | None = None,
    filters: Filters | None = None,
    selection: str = "all",
    largest_n: int | None = None,
    deal_ids: list[str] | None = None,
    model: str = reviews.DEFAULT_MODEL,
    max_deal_pages: int = DEFAULT_MAX_DEAL_PAGES,
    progress: Progress | None = None,
) -> MeetingPack:
    """Gather the pack of a saved review (`review_name`), or of a period's closed deals
    (`filters` with a selection; every note on those deals counts).

    The agenda table holds every deal; a page is written for the first `max_deal_pages` of them
    in agenda order, and `deal_pages_note` says so when that leaves some out. `progress(done,
    total, what)` is called as the deal pages are gathered."""
    if max_deal_pages < 0:
        raise ValueError(f"The number of deal pages must be 0 or more, got {max_deal_pages}.")
    progress = progress or _no_progress
    if review_name is not None:
        info = reviews.open_review(con, review_name)
        if info is None:
            names = reviews.list_reviews(con)["name"].tolist()
            raise ValueError(
                f"There is no review named {review_name!r}. "
                + (f"Saved reviews: {', '.join(names)}." if names else "No review is saved yet.")
            )
        f, model, review_id = info.filters, info.model, info.review_id
        agenda = reviews.agenda(con, review_id)
        title = f"Review meeting pack: {info.name}"
        chosen = info.selection_label
    else:
        if filters is None:
            raise ValueError("Give a review name, or a period (--from and --to).")
        if model not in reviews.REVIEW_MODELS:
            raise ValueError(f"The model must be one of {', '.join(reviews.REVIEW_MODELS)}, got {model!r}.")
        f, review_id = filters, None
        agenda = reviews.period_agenda(con, f, selection, largest_n, deal_ids)
        title = f"Closed-loop review pack: {reviews.period_label(f)}"
        chosen = reviews.selection_label(selection, largest_n)
    label, weights = attribution.MODELS[model].label, attribution.describe(model)
    scope = ", deal contacts only" if f.scope == "contact_roles" else ""
    narrowed = ", ".join(f"{k} {getattr(f, k)}" for k in ("segment", "region", "owner") if getattr(f, k))
    subtitle = [
        f"Deals closed {f.date_from:%d %b %Y} – {f.date_to:%d %b %Y}" + (f" · {narrowed}" if narrowed else ""),
        f"Agenda: {chosen.lower()} ({len(agenda)} deal{'s' if len(agenda) != 1 else ''}) · "
        f"touches from {f.lookback_days} days before a deal's creation{scope}",
        f"Credit model: {label} — {weights}",
    ]
    r = review.review(con, f)
    rollup = attribution.rollup(con, model, by="channel", f=f)
    has_wins = float(rollup["attributed_wins"].fillna(0).sum()) > 0
    lv = lift_view.lift_view(con, f)
    deal_ids_in_order = agenda["deal_id"].tolist()
    paged = agenda.head(max_deal_pages)
    sections = []
    progress(0, len(paged), "Deal pages")
    for i, (pos, deal_id) in enumerate(zip(paged["position"], paged["deal_id"], strict=True), start=1):
        step = reviews.deal_step(con, review_id, deal_id, model, f.lookback_days, f.scope)
        if step is not None:
            sections.append(_deal_section(int(pos), len(agenda), step))
        progress(i, len(paged), "Deal pages")
    pages_note = ""
    if len(agenda) > len(paged):
        pages_note = (
            f"The agenda lists all {len(agenda):,} deals; a page with its timeline, credit and notes is written "
            f"for the first {len(paged):,} in agenda order only (at most {max_deal_pages:,} deal pages: "
            "`report --max-deal-pages N` changes it). To page other deals, choose them: --select largest --top N, "
            "--select picked --deal ID, or a saved review."
        )
    spent = spend.spend_report(con, model, "channel", booking="close", order=attribution.DEFAULT_ORDER, **f.params())
    a = reviews.agreement(con, review_id, deal_ids_in_order, model, f.lookback_days, f.scope)
    headline, agreement_chart, agreement_table, talking = _agreement_parts(a)
    return MeetingPack(
        title=title,
        subtitle=subtitle,
        kpis=_kpis(r.kpis),
        agenda=_agenda_table(agenda),
        attribution_chart=charts.attribution_bars(rollup, "attributed_revenue_usd", f"Won revenue by channel — {label}")
        if has_wins
        else None,
        attribution_caption=(
            f"{label} ({weights}): each won deal's amount split over the channels of its "
            "touches; “No touchpoint” holds won deals without a touch."
        ),
        lift_chart=(
            charts.win_rate_lift(lv.charted, "touchpoint type", lv.small_sample_deals) if not lv.charted.empty else None
        ),
        lift_caption=(
            "Win rate of the period's closed deals a touchpoint type touched minus the win rate of "
            "those it did not, in percentage points, with its 95% interval; faint bars rest on fewer "
            f"than {lv.small_sample_deals} closed deals on a side. Lift is association, not cause."
        ),
        deals=sections,
        summary_headline=headline,
        agreement_chart=agreement_chart,
        agreement_table=agreement_table,
        talking_points=talking,
        notes=reviews.review_notes(con, review_id, deal_ids_in_order),
        deal_pages_note=pages_note,
        lift_adjusted_notes=_adjusted_notes(con, f),
        spend=_spend_table(spent),
        spend_caption=f"Spend of the months of the period against {label}'s credit: "
        + spend.MATCHING_RULE["close"].split(": ", 1)[1]
        + " Cost per won deal = spend ÷ attributed wins; ROAS = attributed won revenue ÷ spend (docs/spend.md).",
    )


def _adjusted_notes(con: duckdb.DuckDBPyConnection, f: Filters) -> list[str]:
    """The adjusted lift's sentences for touchpoint types, keys with enough deals per stratum only."""
    a = lift_adjusted.adjusted_view(con, f)
    if a.empty:
        return []
    solid = a.table[(a.table["sentence"] != "") & ~a.table["thin"]]
    if solid.empty:
        return []
    return [
        "Adjusted for the account (within the same segment, region and deal size; Cochran–Mantel–Haenszel):",
        *solid["sentence"].tolist(),
    ]


def notes_csv(pack: MeetingPack) -> bytes:
    """Every note and verdict of the review, one row each, as CSV (formulas neutralised)."""
    return export.csv_bytes(pack.notes)


# --- rendering the charts -------------------------------------------------------------------------


def _sized(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.properties(width=CHART_WIDTH_PX).to_dict()
    spec.setdefault("config", {})["background"] = "white"
    return spec


def chart_svg(chart: alt.TopLevelMixin) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_sized(chart))


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(_sized(chart), scale=scale)


# --- HTML ---------------------------------------------------------------------------------------------

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #212121;
       max-width: 1000px; margin: 2rem auto; padding: 0 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: .3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid #1f77b4; padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; }
.sub { color: #555; margin: .1rem 0; }
.kpis { display: grid; grid-template-columns: repeat(4, 1fr); gap: .6rem; margin: 1rem 0; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .5rem .7rem; }
.kpi .label { color: #555; font-size: .85rem; }
.kpi .value { font-size: 1.4rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .88rem; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #f5f7fa; font-weight: 600; }
td.num, th.num { text-align: right; }
img.chart { width: 100%; height: auto; display: block; margin: .6rem 0; }
.caption { color: #555; font-size: .85rem; }
.deal { page-break-before: always; }
footer { color: #777; font-size: .8rem; margin-top: 3rem; }
@media print { body { margin: 0; max-width: none; } }
"""


def _html_table(t: Table) -> str:
    def cell(tag: str, i: int, value: str) -> str:
        cls = ' class="num"' if i in t.numeric else ""
        return f"<{tag}{cls}>{html.escape(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(t.header))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_chart(chart: alt.TopLevelMixin | None, alt_text: str) -> str:
    if chart is None:
        return f'<p class="caption">{html.escape(alt_text)}: nothing to draw for this period.</p>'
    data = base64.b64encode(chart_svg(chart).encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{html.escape(alt_text)}" src="data:image/svg+xml;base64,{data}">'


def render_html(pack: MeetingPack, progress: Progress | None = None) -> str:
    """The pack as one self-contained HTML page (inline CSS and SVG images; no scripts, no links out)."""
    progress = progress or _no_progress
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(pack.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{e(pack.title)}</h1>",
        *[f'<p class="sub">{e(s)}</p>' for s in pack.subtitle],
        "<h2>The period in figures</h2>",
        '<div class="kpis">',
        *[
            f'<div class="kpi"><div class="label">{e(k)}</div><div class="value">{e(v)}</div></div>'
            for k, v in pack.kpis
        ],
        "</div>",
        "<h2>Agenda</h2>",
        *([f'<p class="caption">{e(pack.deal_pages_note)}</p>'] if pack.deal_pages_note else []),
        _html_table(pack.agenda),
        "<h2>Attribution and lift</h2>",
        _html_chart(pack.attribution_chart, "Won revenue by channel"),
        f'<p class="caption">{e(pack.attribution_caption)}</p>',
        _html_chart(pack.lift_chart, "Win-rate lift by touchpoint type"),
        f'<p class="caption">{e(pack.lift_caption)}</p>',
        *[f"<p>{e(n)}</p>" for n in pack.lift_adjusted_notes],
        *(
            ["<h2>Spend and return</h2>", _html_table(pack.spend), f'<p class="caption">{e(pack.spend_caption)}</p>']
            if pack.spend is not None
            else []
        ),
    ]
    progress(0, len(pack.deals), "Drawing deal pages")
    for i, d in enumerate(pack.deals, start=1):
        parts += [
            f'<section class="deal"><h2>{e(d.heading)}</h2>',
            f'<p class="sub">{e(d.facts)}</p>',
            _html_chart(d.timeline, f"Timeline of {d.heading}"),
            f"<p>{e(d.whole_deal)}</p>",
            f"<h3>{e(d.touches_title)}</h3>",
            _html_table(d.touches),
            "<h3>Notes</h3>",
            _html_table(d.notes) if d.notes else '<p class="caption">No notes on this deal in this review.</p>',
            "</section>",
        ]
        progress(i, len(pack.deals), "Drawing deal pages")
    parts += ['<section class="deal"><h2>Agreement summary</h2>', f"<p>{e(pack.summary_headline)}</p>"]
    if pack.agreement_chart is not None:
        parts.append(_html_chart(pack.agreement_chart, "What the teams called critical vs the model's credit"))
    if pack.agreement_table is not None:
        parts += ["<h3>Per touchpoint type</h3>", _html_table(pack.agreement_table)]
    if pack.talking_points is not None:
        parts += ["<h3>Talking points: where marketing and sales disagree</h3>", _html_table(pack.talking_points)]
    elif pack.agreement_table is not None:
        parts.append('<p class="caption">No disagreement: on every touch both teams judged, they agreed.</p>')
    parts += [
        "</section>",
        f"<footer>Closed Loop · generated {pack.generated_at:%d %b %Y %H:%M}</footer>",
        "</body></html>",
    ]
    return "\n".join(parts)


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


def pdf_page_count(pdf: bytes) -> int:
    """Pages of a PDF written by render_pdf (counts its /Type /Page objects)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?!s)\b", pdf))


def file_stem(name: str) -> str:
    """'2026Q1 won deals' -> 'review-pack-2026q1-won-deals'."""
    return "review-pack-" + reviews._slug(name)
