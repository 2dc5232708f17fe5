"""Assembling a meeting pack from a saved review or a period (build_pack), and its notes as CSV."""

from __future__ import annotations

import duckdb

from closedloop import charts, export
from closedloop.engine import attribution, path_reports, spend
from closedloop.filters import Filters
from closedloop.meeting import reviews
from closedloop.meeting.report.model import DEFAULT_MAX_DEAL_PAGES, MeetingPack, Progress, _no_progress
from closedloop.meeting.report.sections import (
    _agenda_table,
    _agreement_parts,
    _band_table,
    _deal_section,
    _kpis,
    _spend_table,
)
from closedloop.pages import lift as lift_view
from closedloop.pages import lift_adjusted, review


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
    # the period's closed deals, as the Paths page and `paths --report time-lag|path-length` count them
    lag = path_reports.rollup(path_reports.time_lag(con, **f.params()), path_reports.time_lag_labels())
    length = path_reports.rollup(path_reports.path_length(con, **f.params()), path_reports.path_length_labels())
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
        time_lag=_band_table(lag, "Days from first touch to close", "days"),
        path_length=_band_table(length, "Touches to close", "touches"),
        paths_caption=(
            "The period's closed deals (not only the agenda's), won vs lost: by days from the first touch in "
            f"the window ({f.lookback_days} days before creation) to the close, and by touches in it. Share "
            "of won: the band's part of all won deals. “(no touchpoint)”: deals without a touch in the window."
        ),
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
