"""The meeting pack's content: a saved review's KPIs, agenda, charts, deal pages and agreement
summary as plain values (MeetingPack), which report.html and report.pdf draw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import altair as alt
import duckdb
import pandas as pd

from closedloop import charts, export
from closedloop.engine import attribution
from closedloop.filters import Filters
from closedloop.meeting import reviews
from closedloop.pages import lift as lift_view
from closedloop.pages import review

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
    common = dict(
        date_from=f.date_from,
        date_to=f.date_to,
        segment=f.segment,
        region=f.region,
        owner=f.owner,
        lookback_days=f.lookback_days,
        scope=f.scope,
    )
    rollup = attribution.rollup(con, model, by="channel", **common)
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
    )


def notes_csv(pack: MeetingPack) -> bytes:
    """Every note and verdict of the review, one row each, as CSV (formulas neutralised)."""
    return export.csv_bytes(pack.notes)
