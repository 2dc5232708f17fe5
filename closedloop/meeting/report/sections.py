"""The pack's sections from the review's figures: KPIs, agenda, spend, time to close and path length,
each deal's page, agreement."""

from __future__ import annotations

from typing import Any

import pandas as pd

from closedloop import charts
from closedloop.meeting import reviews
from closedloop.meeting.report.model import DealSection, Table


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


def _median_days(k: dict[str, Any]) -> str:
    """As the review page says it: the won deals imported without dates have no days to close."""
    if k["median_days_to_close"] is not None:
        return f"{k['median_days_to_close']:,.0f} days"
    return "dates unknown" if k.get("won_dates_unknown") else "–"


def _kpis(k: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        ("Deals won", f"{k['deals_won']:,}"),
        ("Deals lost", f"{k['deals_lost']:,}"),
        ("Win rate", _pct(k["win_rate"], "{:.1%}")),
        ("Revenue won", _money(k["revenue_won_usd"])),
        ("Median days to close", _median_days(k)),
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


def _band_table(rolled: pd.DataFrame, band_header: str, mean_unit: str) -> Table | None:
    """Won vs lost deals per band of time lag or path length (path_reports.rollup), or None when the
    period closed no deal: deals won and lost, win rate, the band's share of the won and of the lost,
    and the mean of its won and lost deals."""
    if int(rolled["closed_deals"].sum()) == 0:
        return None

    def mean(v: Any) -> str:
        return "–" if pd.isna(v) else f"{v:,.1f}"

    rows = [
        [
            _text(r.label),
            f"{r.won_deals:,}",
            f"{r.lost_deals:,}",
            _pct(r.win_rate),
            _pct(r.share_of_won),
            _pct(r.share_of_lost),
            mean(r.mean_won),
            mean(r.mean_lost),
        ]
        for r in rolled.itertuples()
    ]
    return Table(
        [
            band_header,
            "Won",
            "Lost",
            "Win rate",
            "Share of won",
            "Share of lost",
            f"Mean {mean_unit}, won",
            f"Mean {mean_unit}, lost",
        ],
        rows,
        frozenset(range(1, 8)),
        (1.8, 0.7, 0.7, 0.9, 1.0, 1.0, 1.2, 1.2),
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
