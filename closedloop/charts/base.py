"""What every chart shares: the colour scales, the touch types' shapes and how a key is labelled."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from closedloop import db

WON_LOST_COLORS = alt.Scale(domain=["Won", "Lost"], range=["#2e7d32", "#c62828"])
TEAM_COLORS = alt.Scale(domain=["marketing", "sales"], range=["#1f77b4", "#ff7f0e"])


# The channels the product defines (the sample's, and the canonical import's lead sources), and the
# sample's review-site visits.
CANONICAL_CHANNELS = [*db.CANONICAL_CHANNELS, "review_sites"]


def _canonical() -> frozenset[str]:
    return frozenset([*TOUCH_TYPES, *CANONICAL_CHANNELS, "marketing", "sales"])


def label(code: str | None) -> str:
    """An axis label for a key. Only the product's own canonical values are prettified
    ('webinar_attended' -> 'Webinar attended', 'paid_search' -> 'Paid search'); every other key
    is shown exactly as it is in the data: 'NC_EDM' stays 'NC_EDM', 'google' stays 'google'."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return "(none)"
    text = str(code)
    return text.replace("_", " ").capitalize() if text in _canonical() else text


def label_map(codes: Any, how: Any = None) -> dict[Any, str]:
    """label() (or `how`) of each distinct key, never merging two keys: when two keys would get the
    same label (a canonical 'ebook_download' and a key spelt 'Ebook download'), both are shown as
    they are."""
    keys = list(dict.fromkeys(codes))
    labels = {k: (how or label)(k) for k in keys}
    seen: dict[str, int] = {}
    for v in labels.values():
        seen[v] = seen.get(v, 0) + 1
    return {k: (v if seen[v] == 1 else ("(none)" if k is None else str(k))) for k, v in labels.items()}


def labels(codes: pd.Series) -> pd.Series:
    """label_map() applied to a column of keys."""
    return codes.map(label_map(codes))


# Tooltips several charts show alike.
KEY_TOOLTIP = alt.Tooltip("key_label:N", title="Key")
RANK_TOOLTIP = alt.Tooltip("rank:Q", title="Rank")
TOUCH_TOOLTIPS = [alt.Tooltip("touch:N", title="Touch"), alt.Tooltip("team:N", title="Team")]  # a deal's touch
DEAL_CREDIT_TOOLTIP = alt.Tooltip("credit:Q", title="Share of the deal's credit", format=".1%")


# --- Deal explorer -------------------------------------------------------------------------------

MARKER_COLOR = "#616161"
NOTE_COLOR = "#6a1b9a"


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return "–"
    return str(value)


# Each touchpoint type keeps its shape on every deal: marketing types first, then sales (DESIGN.md).
TOUCH_SHAPE = {
    "ad_view": "circle",
    "ad_click": "square",
    "ebook_download": "triangle-up",
    "whitepaper_download": "cross",
    "email_open": "diamond",
    "email_click": "triangle-down",
    "webinar_registered": "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z",  # hexagon
    "webinar_attended": "M0,-1L0.2245,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809L-0.363,0.118"
    "L-0.951,-0.309L-0.2245,-0.309Z",  # star
    "event_attended": "triangle-right",
    "website_visit": "triangle-left",
    "demo_request": "M0,-1L0.951,-0.309L0.588,0.809L-0.588,0.809L-0.951,-0.309Z",  # pentagon
    "content_syndication": "M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z",  # x
    # sales types: the colour tells them apart
    "sales_email": "circle",
    "sales_call": "square",
    "sales_meeting": "diamond",
    "linkedin_inmail": "triangle-up",
}
TOUCH_TYPES = list(TOUCH_SHAPE)
TOUCH_SHAPES = list(TOUCH_SHAPE.values())


# --- Attribution page

MEASURE_TITLES = {
    "attributed_wins": "Attributed wins (deals)",
    "attributed_revenue_usd": "Attributed won revenue (USD)",
    "attributed_pipeline_usd": "Attributed pipeline (USD)",
}


def _measure_axis(column: str) -> alt.Axis:
    return alt.Axis(format="$,.2s" if column.endswith("_usd") else ",.0f", tickCount=6)


def top_axis(label_limit: int) -> alt.Axis:
    """A heatmap's column labels: on top, slanted, every one shown."""
    return alt.Axis(orient="top", labelAngle=-40, labelAlign="left", labelOverlap=False, labelLimit=label_limit)


def share_cells(base: alt.Chart, field: str, title: str, legend: alt.Legend) -> alt.LayerChart:
    """A heatmap of a share from 0 to 1: blue cells, each labelled with its percentage in white
    where the cell is dark (above 55 %), else in near-black."""
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(f"{field}:Q", title=title, scale=alt.Scale(scheme="blues", domain=[0, 1]), legend=legend)
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{field}:Q", format=".0%"),
        color=alt.condition(f"datum.{field} > 0.55", alt.value("white"), alt.value("#212121")),
    )
    return alt.layer(cells, text)


def rank_cells(base: alt.Chart, tooltip: list[alt.Tooltip], font_size: int) -> alt.LayerChart:
    """A heatmap of ranks (1 = most credit): the better the rank the darker the blue, each cell
    labelled with its rank, in white for the top 3."""
    cells = base.mark_rect().encode(
        color=alt.Color("rank:Q", scale=alt.Scale(scheme="blues", reverse=True), title="Rank"),
        tooltip=tooltip,
    )
    text = base.mark_text(fontSize=font_size).encode(
        text=alt.Text("rank:Q", format=".0f"),
        color=alt.condition(alt.datum.rank <= 3, alt.value("white"), alt.value("#222")),
    )
    return cells + text
