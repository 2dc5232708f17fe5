"""The Deal explorer's charts: one deal's timeline and its credit receipt."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import (
    DEAL_CREDIT_TOOLTIP,
    MARKER_COLOR,
    NOTE_COLOR,
    TEAM_COLORS,
    TOUCH_SHAPES,
    TOUCH_TOOLTIPS,
    TOUCH_TYPES,
    _text,
    label,
    label_map,
    share_cells,
    top_axis,
)


def _pack_labels(
    m: pd.DataFrame,
    start: pd.Timestamp,
    span: pd.Timedelta,
    width_px: float = 900,
    char_px: float = 6.2,
    gap_px: float = 10,
) -> pd.DataFrame:
    """Give each milestone label a row and a side so labels don't overlap: a label reads rightwards
    from its rule unless it would leave the chart, then leftwards; it takes the first row where it
    fits. Widths are estimated for a chart about `width_px` wide."""
    rows_end: list[float] = []
    rows, right = [], []
    for at, text in zip(m["occurred_at"], m["label"], strict=True):
        x = (at - start) / span * width_px
        w = len(text) * char_px + 7
        leftwards = x + w > width_px
        lo, hi = (x - w, x) if leftwards else (x, x + w)
        row = next((i for i, end in enumerate(rows_end) if end + gap_px <= lo), len(rows_end))
        if row == len(rows_end):
            rows_end.append(hi)
        else:
            rows_end[row] = hi
        rows.append(row)
        right.append(leftwards)
    return m.assign(row=rows, right=right)


def deal_timeline(touches: pd.DataFrame, markers: pd.DataFrame, title: str) -> alt.LayerChart:
    """One deal's history on a time axis: touches in a marketing and a sales lane (team as colour,
    touchpoint type as shape), milestones (lead and opportunity creation, stage changes, close) as
    dashed rules labelled above the lanes, and touches that carry a retrospective note ringed and
    marked ✎."""
    times = pd.concat([touches["occurred_at"], markers["occurred_at"]])
    start, end = times.min(), times.max()
    span = (end - start) if end > start else pd.Timedelta(days=1)
    pad = span * 0.03
    m = _pack_labels(markers.sort_values("occurred_at").reset_index(drop=True), start - pad, span + 2 * pad)
    m = m.assign(day=m["occurred_at"].dt.strftime("%d %b %Y"))
    n_rows = int(m["row"].max()) + 1 if not m.empty else 1
    # y is a hidden number line: label rows 0..n_rows-1 on top, then the two lanes
    lanes = {"marketing": n_rows + 1.0, "sales": n_rows + 2.6}
    t = touches.assign(
        lane_y=touches["team"].map(lanes),
        type_label=touches["touchpoint_type"].map(label_map(touches["touchpoint_type"])),
        day=touches["occurred_at"].dt.strftime("%d %b %Y"),
        **{
            c: touches[c].map(_text)
            for c in ("campaign_name", "asset", "contact_title", "note_verdicts", "positions", "channel")
        },
    )
    x = alt.X(
        "occurred_at:T",
        title="Date",
        scale=alt.Scale(domain=[start - pad, end + pad]),
        axis=alt.Axis(format="%d %b %Y", labelAngle=0, labelOverlap=True),
    )
    y = alt.Y(
        "lane_y:Q",
        title=None,
        scale=alt.Scale(domain=[-0.8, n_rows + 3.4], reverse=True, nice=False),
        axis=alt.Axis(
            values=list(lanes.values()),
            grid=False,
            ticks=False,
            domain=False,
            labelFontWeight="bold",
            labelFontSize=12,
            labelExpr=f"datum.value < {n_rows + 1.8} ? 'Marketing' : 'Sales'",
        ),
    )
    rules = (
        alt.Chart(m)
        .mark_rule(color=MARKER_COLOR, strokeDash=[5, 4], strokeWidth=1.5)
        .encode(x=x, tooltip=[alt.Tooltip("day:N", title="Date"), alt.Tooltip("label:N", title="Milestone")])
    )
    labels = [
        alt.Chart(m[m["right"] == right].assign(lane_y=m["row"]))
        .mark_text(align="right" if right else "left", dx=-5 if right else 5, fontSize=11, color="#212121")
        .encode(
            x=x,
            y=y,
            text="label:N",
            tooltip=[alt.Tooltip("day:N", title="Date"), alt.Tooltip("label:N", title="Milestone")],
        )
        for right in (False, True)
        if (m["right"] == right).any()
    ]
    tooltip = [
        alt.Tooltip("day:N", title="Date"),
        alt.Tooltip("team:N", title="Team"),
        alt.Tooltip("type_label:N", title="Touchpoint type"),
        alt.Tooltip("channel:N", title="Channel"),
        alt.Tooltip("campaign_name:N", title="Campaign"),
        alt.Tooltip("asset:N", title="Asset"),
        alt.Tooltip("contact_title:N", title="Contact"),
        alt.Tooltip("positions:N", title="Positions (FT, LC, OC, CL)"),
        alt.Tooltip("note_verdicts:N", title="Retro notes"),
        alt.Tooltip("touchpoint_id:N", title="Touchpoint ID"),
    ]
    known_labels = [label(tt) for tt in TOUCH_TYPES]
    extra = sorted(set(t["type_label"]) - set(known_labels))
    shape_domain = known_labels + extra
    # the legend lists the types this deal has, in the fixed order
    present = [v for v in shape_domain if v in set(t["type_label"])]
    shape_range = TOUCH_SHAPES + ["stroke", "arrow", "wedge", "triangle"] * (len(extra) // 4 + 1)
    points = (
        alt.Chart(t)
        .mark_point(filled=True, size=170, opacity=0.85)
        .encode(
            x=x,
            y=y,
            color=alt.Color("team:N", scale=TEAM_COLORS, title="Team", legend=alt.Legend(orient="top")),
            shape=alt.Shape(
                "type_label:N",
                title="Touchpoint type",
                scale=alt.Scale(domain=shape_domain, range=shape_range),
                legend=alt.Legend(orient="bottom", columns=4, labelLimit=200, symbolLimit=0, values=present),
            ),
            tooltip=tooltip,
        )
    )
    noted = t[t["notes"] > 0]
    layers = [rules, *labels, points]
    if not noted.empty:
        layers.append(
            alt.Chart(noted)
            .mark_point(shape="circle", filled=False, size=650, strokeWidth=2.5, color=NOTE_COLOR)
            .encode(x=x, y=y, tooltip=tooltip)
        )
        layers.append(
            alt.Chart(noted)
            .mark_text(text="✎", dx=17, dy=-12, fontSize=16, color=NOTE_COLOR)
            .encode(x=x, y=y, tooltip=tooltip)
        )
    # fit the width only: the height is the lanes' own, whatever the legends need
    return alt.layer(*layers, title=title).properties(
        height=int(max(150, 24 * (n_rows + 4.2))), autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


def credit_receipt(receipt: pd.DataFrame, models: pd.DataFrame) -> alt.Chart:
    """The deal's credit receipt as a grid: each touch (rows, in journey order) by each model
    (columns), the cell showing the share of the deal's credit the touch gets."""
    names = dict(zip(models["model"], models["label"], strict=True))
    weights = dict(zip(models["model"], models["weights"], strict=True))
    r = receipt.assign(
        touch=[
            "No touchpoint" if pd.isna(n) else f"{int(n)}. {at:%d %b %Y} · {label(tt)}" + (f" ({pos})" if pos else "")
            for n, at, tt, pos in zip(
                receipt["touch_number"],
                receipt["occurred_at"],
                receipt["touchpoint_type"],
                receipt["positions"],
                strict=True,
            )
        ]
    )
    long = r.melt(
        id_vars=["touch", "team", "touchpoint_id"], value_vars=list(names), var_name="model", value_name="credit"
    )
    long["model_label"] = long["model"].map(names)
    long["weights"] = long["model"].map(weights)
    base = alt.Chart(long).encode(
        x=alt.X(
            "model_label:N",
            sort=[names[m] for m in names],
            title=None,
            axis=top_axis(160),
        ),
        y=alt.Y("touch:N", sort=r["touch"].tolist(), title=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[
            *TOUCH_TOOLTIPS,
            alt.Tooltip("model_label:N", title="Model"),
            alt.Tooltip("weights:N", title="Weights"),
            DEAL_CREDIT_TOOLTIP,
        ],
    )
    cells = share_cells(base, "credit", "Share of credit (%)", alt.Legend(format="%", orient="right"))
    return cells.properties(
        title="Credit receipt: each touch's share of the deal under every model", height=alt.Step(30)
    )
