"""The meeting pack as one self-contained HTML file (charts inlined as SVG; nothing fetched)."""

from __future__ import annotations

import base64
import html
from typing import Any

import altair as alt

from closedloop.meeting.report.model import CHART_WIDTH_PX, MeetingPack, Progress, Table, _no_progress

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
        *(
            ["<h2>Time to close and path length, won vs lost</h2>"]
            + [_html_table(t) for t in (pack.time_lag, pack.path_length) if t is not None]
            + [f'<p class="caption">{e(pack.paths_caption)}</p>']
            if pack.time_lag is not None or pack.path_length is not None
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
