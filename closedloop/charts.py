"""Every Altair chart the product draws: each builder takes a core result and returns alt.Chart."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

WON_LOST_COLORS = alt.Scale(domain=["Won", "Lost"], range=["#2e7d32", "#c62828"])
TEAM_COLORS = alt.Scale(domain=["marketing", "sales"], range=["#1f77b4", "#ff7f0e"])


# The channels the product defines (the sample's, and the canonical import's lead sources).
CANONICAL_CHANNELS = [
    "paid_search",
    "paid_social",
    "display",
    "email",
    "webinar",
    "event",
    "content",
    "syndication",
    "organic_search",
    "website",
    "sales",
    "review_sites",
]


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


def touch_type_shares(df: pd.DataFrame) -> alt.Chart:
    """Share of won vs lost deals each touchpoint type preceded, sorted by the difference."""
    names = label_map(df["touchpoint_type"])
    order = [names[t] for t in df.sort_values("share_difference", ascending=False)["touchpoint_type"]]
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "type": df["touchpoint_type"].map(names),
                    "team": df["team"],
                    "outcome": outcome,
                    "share": df[f"share_{key}_touched"],
                    "touched": df[f"{key}_deals_touched"],
                    "total": df[f"{key}_deals_total"],
                    "difference_pp": (df["share_difference"] * 100).round(1),
                }
            )
            for outcome, key in (("Won", "won"), ("Lost", "lost"))
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long, title="Which touchpoint types preceded won vs lost deals")
        .mark_bar()
        .encode(
            y=alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("outcome:N", sort=["Won", "Lost"]),
            x=alt.X(
                "share:Q",
                title="Share of deals touched (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("outcome:N", scale=WON_LOST_COLORS, title="Deals", legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("type:N", title="Touchpoint type"),
                alt.Tooltip("outcome:N", title="Deals"),
                alt.Tooltip("touched:Q", title="Deals touched"),
                alt.Tooltip("total:Q", title="Deals in period"),
                alt.Tooltip("share:Q", title="Share touched", format=".0%"),
                alt.Tooltip("difference_pp:Q", title="Won minus lost (pp)"),
            ],
        )
        .properties(height=alt.Step(14))
    )


# --- Handoff & SLA -------------------------------------------------------------------------------

SLA_COLORS = alt.Scale(domain=["Within SLA", "Over SLA", "Never followed up"], range=["#2e7d32", "#ef6c00", "#9e9e9e"])


def speed_to_lead(speed: pd.DataFrame, sla_hours: float) -> alt.Chart:
    """Leads per speed-to-lead bucket (hours from assignment to first follow-up), the SLA drawn
    as a rule at the bucket edge it falls on, and the never-followed-up leads as a last grey bar."""
    order = speed.sort_values("order")["bucket"].tolist()
    title = f"Speed to lead: hours from assignment to first follow-up (SLA {sla_hours:g} h)"
    bars = (
        alt.Chart(speed, title=title)
        .mark_bar()
        .encode(
            x=alt.X(
                "bucket:N",
                sort=order,
                title="Hours from assignment to first follow-up",
                axis=alt.Axis(labelAngle=0, labelLimit=140),
            ),
            y=alt.Y("leads:Q", title="Leads", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("status:N", scale=SLA_COLORS, title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("bucket:N", title="Bucket"),
                alt.Tooltip("span:N", title="Hours"),
                alt.Tooltip("leads:Q", title="Leads"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    first_over = speed.loc[speed["status"] == "Over SLA", "bucket"]
    if first_over.empty:
        return bars
    rule_data = pd.DataFrame({"bucket": [first_over.iloc[0]], "text": [f"SLA {sla_hours:g} h"]})
    rule = (
        alt.Chart(rule_data)
        .mark_rule(color="#c62828", strokeDash=[6, 4], strokeWidth=2)
        .encode(x=alt.X("bucket:N", sort=order, bandPosition=0))
    )
    text = (
        alt.Chart(rule_data)
        .mark_text(align="left", dx=4, dy=-4, baseline="top", color="#c62828", fontWeight="bold")
        .encode(x=alt.X("bucket:N", sort=order, bandPosition=0), y=alt.value(0), text="text:N")
    )
    return alt.layer(bars, rule, text).properties(height=320)


FUNNEL_STAGES = ["MQLs", "Accepted", "Opportunities", "Won"]
FUNNEL_COLORS = alt.Scale(domain=FUNNEL_STAGES, range=["#90caf9", "#42a5f5", "#1565c0", "#2e7d32"])


def lead_funnel(df: pd.DataFrame, group_title: str, codes: bool = True) -> alt.Chart:
    """Leads reaching each funnel stage (MQL -> accepted -> opportunity -> won) per group,
    groups sorted by MQLs. `codes`: the group keys are codes like paid_social (not names)."""
    df = df.assign(group_key=labels(df["group_key"]) if codes else df["group_key"].astype(str))
    order = df.sort_values(["mqls", "won"], ascending=False)["group_key"].tolist()
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "group": df["group_key"],
                    "stage": stage,
                    "leads": df[col],
                    "mqls": df["mqls"],
                    "share_of_mqls": (df[col] / df["mqls"].where(df["mqls"] > 0)).fillna(0),
                }
            )
            for stage, col in zip(FUNNEL_STAGES, ["mqls", "accepted", "opportunities", "won"], strict=True)
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long, title=f"Lead funnel by {group_title}: MQL → accepted → opportunity → won")
        .mark_bar()
        .encode(
            y=alt.Y("group:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
            yOffset=alt.YOffset("stage:N", sort=FUNNEL_STAGES),
            x=alt.X("leads:Q", title="Leads", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "stage:N",
                scale=FUNNEL_COLORS,
                sort=FUNNEL_STAGES,
                title="Stage reached",
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=group_title.capitalize()),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("leads:Q", title="Leads"),
                alt.Tooltip("share_of_mqls:Q", title="Share of MQLs", format=".0%"),
            ],
        )
        .properties(height=alt.Step(12))
    )


# --- Deal explorer -------------------------------------------------------------------------------

MARKER_COLOR = "#616161"
NOTE_COLOR = "#6a1b9a"


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
        return "–"
    return str(value)


# Each touchpoint type keeps its shape on every deal: marketing types first, then sales (DESIGN.md).
TOUCH_TYPES = [
    "ad_view",
    "ad_click",
    "ebook_download",
    "whitepaper_download",
    "email_open",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "event_attended",
    "website_visit",
    "demo_request",
    "content_syndication",
    "sales_email",
    "sales_call",
    "sales_meeting",
    "linkedin_inmail",
]
TOUCH_SHAPES = [
    "circle",
    "square",
    "triangle-up",
    "cross",
    "diamond",
    "triangle-down",
    "M0,-1L0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5Z",  # hexagon
    "M0,-1L0.2245,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809L-0.363,0.118"
    "L-0.951,-0.309L-0.2245,-0.309Z",  # star
    "triangle-right",
    "triangle-left",
    "M0,-1L0.951,-0.309L0.588,0.809L-0.588,0.809L-0.951,-0.309Z",  # pentagon
    "M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z",  # x
    "circle",
    "square",
    "diamond",
    "triangle-up",  # sales types: the colour tells them apart
]


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
            axis=alt.Axis(orient="top", labelAngle=-40, labelAlign="left", labelOverlap=False, labelLimit=160),
        ),
        y=alt.Y("touch:N", sort=r["touch"].tolist(), title=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[
            alt.Tooltip("touch:N", title="Touch"),
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("model_label:N", title="Model"),
            alt.Tooltip("weights:N", title="Weights"),
            alt.Tooltip("credit:Q", title="Share of the deal's credit", format=".1%"),
        ],
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "credit:Q",
            title="Share of credit (%)",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%", orient="right"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("credit:Q", format=".0%"),
        color=alt.condition("datum.credit > 0.55", alt.value("white"), alt.value("#212121")),
    )
    return alt.layer(cells, text, title="Credit receipt: each touch's share of the deal under every model").properties(
        height=alt.Step(30)
    )


# --- Journeys ------------------------------------------------------------------------------------


def journey_paths(paths: pd.DataFrame, top_n: int = 10) -> alt.Chart:
    """The most common channel paths, as bars of won and lost deals, longest bar first."""
    top = paths.sort_values(["deals", "won_deals", "path"], ascending=[False, False, True]).head(top_n)
    order = top["path"].tolist()
    long = pd.concat(
        [
            top.assign(outcome=outcome, count=top[col])
            for outcome, col in (("Won", "won_deals"), ("Lost", "lost_deals"))
        ],
        ignore_index=True,
    )
    tooltip = [
        alt.Tooltip("path:N", title="Channel path"),
        alt.Tooltip("deals:Q", title="Closed deals"),
        alt.Tooltip("won_deals:Q", title="Won"),
        alt.Tooltip("lost_deals:Q", title="Lost"),
        alt.Tooltip("win_rate:Q", title="Win rate", format=".0%"),
        alt.Tooltip("won_revenue_usd:Q", title="Revenue won (USD)", format="$,.0f"),
    ]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("path:N", sort=order, title=None, axis=alt.Axis(labelLimit=460)),
            x=alt.X("count:Q", title="Closed deals", stack="zero", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color("outcome:N", scale=WON_LOST_COLORS, title="Deals", legend=alt.Legend(orient="top")),
            order=alt.Order("outcome:N", sort="descending"),
            tooltip=tooltip,
        )
    )
    rate_text = [
        f"{n} deal{'s' if n != 1 else ''} · {r:.0%} won" for n, r in zip(top["deals"], top["win_rate"], strict=True)
    ]
    rates = (
        alt.Chart(top.assign(rate_text=rate_text))
        .mark_text(align="left", dx=5, fontSize=11, color="#424242")
        .encode(y=alt.Y("path:N", sort=order), x=alt.X("deals:Q"), text="rate_text:N", tooltip=tooltip)
    )
    title = f"The {len(top)} most common channel paths of closed deals (repeats collapsed)"
    return alt.layer(bars, rates, title=title).properties(height=alt.Step(26))


def journey_distribution(
    boxes: pd.DataFrame, dots: pd.DataFrame, field: str, axis_title: str, title: str
) -> alt.LayerChart:
    """Won vs lost: a box plot of one per-deal figure (touches, days), each deal a dot.

    `boxes` holds each outcome's min, quartiles, median and max over every deal, `dots` the
    deals to draw (closedloop.pages.journeys.distribution), so the chart carries a bounded number of rows.
    """
    y = alt.Y("outcome:N", sort=["Won", "Lost"], title=None, axis=alt.Axis(labelFontWeight="bold"))
    x = alt.X(f"{field}:Q", title=axis_title, scale=alt.Scale(zero=True))
    color = alt.Color("outcome:N", scale=WON_LOST_COLORS, legend=None)
    box_tooltip = [alt.Tooltip("outcome:N", title="Outcome"), alt.Tooltip("deals:Q", title="Deals", format=",")] + [
        alt.Tooltip(f"{c}:Q", title=t)
        for c, t in (("upper", "Max"), ("q3", "Q3"), ("median", "Median"), ("q1", "Q1"), ("lower", "Min"))
    ]
    base = alt.Chart(boxes).encode(y=y, color=color, tooltip=box_tooltip)
    whisker = base.mark_rule(opacity=0.45).encode(
        x=alt.X("lower:Q", title=axis_title, scale=alt.Scale(zero=True)), x2="upper:Q"
    )
    box = base.mark_bar(size=26, opacity=0.45).encode(x=alt.X("q1:Q", title=axis_title), x2="q3:Q")
    median = base.mark_tick(color="#212121", size=26, thickness=2).encode(x=alt.X("median:Q", title=axis_title))
    points = (
        alt.Chart(dots)
        .mark_circle(size=55, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=color,
            yOffset=alt.YOffset("jitter:Q", scale=alt.Scale(domain=[-1, 1])),
            tooltip=[
                alt.Tooltip("deal_name:N", title="Deal"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip(f"{field}:Q", title=axis_title),
            ],
        )
        .transform_calculate(jitter="(random() - 0.5) * 1.2")
    )
    return alt.layer(whisker, box, points, median, title=title).properties(height=170)


def transition_heatmap(transitions: pd.DataFrame, max_states: int = 20) -> alt.LayerChart:
    """The Markov chain's transition probabilities: from each state (rows) to the next (columns).
    Higher orders have many states: only the `max_states` busiest rows and columns are drawn."""
    ends = {"(start)": 0, "(won)": 2, "(lost)": 3}
    busiest_from = transitions.groupby("from_state")["transitions"].sum().nlargest(max_states).index
    kept = transitions[transitions["from_state"].isin(busiest_from)]
    busiest_to = kept.groupby("to_state")["transitions"].sum().nlargest(max_states).index
    kept = kept[kept["to_state"].isin(busiest_to) | kept["to_state"].isin(list(ends))]
    cut = len(kept) < len(transitions)

    def order(col: str) -> list[str]:
        return sorted(kept[col].drop_duplicates(), key=lambda s: (ends.get(s, 1), s))

    names = label_map([*kept["from_state"], *kept["to_state"]], _state_label)
    t = kept.assign(
        from_label=kept["from_state"].map(names),
        to_label=kept["to_state"].map(names),
    )
    from_order = [names[s] for s in order("from_state")]
    to_order = [names[s] for s in order("to_state")]
    base = alt.Chart(t).encode(
        x=alt.X(
            "to_label:N",
            sort=to_order,
            title="Next state",
            axis=alt.Axis(orient="top", labelAngle=-40, labelAlign="left", labelOverlap=False, labelLimit=180),
        ),
        y=alt.Y("from_label:N", sort=from_order, title="From state", axis=alt.Axis(labelLimit=260)),
        tooltip=[
            alt.Tooltip("from_label:N", title="From"),
            alt.Tooltip("to_label:N", title="To"),
            alt.Tooltip("transitions:Q", title="Transitions"),
            alt.Tooltip("probability:Q", title="Probability", format=".1%"),
        ],
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "probability:Q",
            title="Probability (%)",
            scale=alt.Scale(scheme="blues", domain=[0, 1]),
            legend=alt.Legend(format="%"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("probability:Q", format=".0%"),
        color=alt.condition("datum.probability > 0.55", alt.value("white"), alt.value("#212121")),
    )
    title = "Markov transition matrix: where a journey goes next" + (
        f" (the {max_states} busiest states)" if cut else ""
    )
    return alt.layer(cells, text, title=title).properties(height=alt.Step(28))


def _state_label(state: str) -> str:
    """'paid_search > content' -> 'Paid search > Content'; '(won)' stays as it is."""
    if state.startswith("("):
        return state
    return " > ".join(label(s) for s in state.split(" > "))


# --- Attribution page

MEASURE_TITLES = {
    "attributed_wins": "Attributed wins (deals)",
    "attributed_revenue_usd": "Attributed won revenue (USD)",
    "attributed_pipeline_usd": "Attributed pipeline (USD)",
}


def _measure_axis(column: str) -> alt.Axis:
    return alt.Axis(format="$,.2s" if column.endswith("_usd") else ",.0f", tickCount=6)


def attribution_bars(rollup: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """The chosen model's credit per key, sorted; "No touchpoint" in grey at the bottom."""
    df = rollup[["key", column]].copy()
    df["key_label"] = labels(df["key"])
    df["kind"] = df["key"].eq("No touchpoint").map({True: "No touchpoint", False: "Credited"})
    order = df.sort_values(column, ascending=False, kind="stable")
    order = pd.concat([order[order["kind"] == "Credited"], order[order["kind"] != "Credited"]])
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    return (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("key_label:N", sort=order["key_label"].tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{column}:Q", title=MEASURE_TITLES[column], axis=_measure_axis(column)),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=["Credited", "No touchpoint"], range=["#1f77b4", "#9e9e9e"]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("key_label:N", title="Key"),
                alt.Tooltip(f"{column}:Q", title=MEASURE_TITLES[column], format=fmt),
            ],
        )
        .properties(height=alt.Step(22))
    )


def model_rank_heatmap(comparison: pd.DataFrame, labels: dict[str, str], column: str) -> alt.Chart:
    """Each key's rank under each model (1 = most credit); rows sorted by mean rank, so a key
    that changes colour across its row rises or falls depending on the model."""
    models = [m for m in labels if m in comparison.columns]
    df = comparison[comparison["key"] != "No touchpoint"]
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    key_labels = df["key"].map(label_map(df["key"]))
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "key_label": key_labels,
                    "model": labels[m],
                    "rank": df[f"rank_{m}"].astype(float),
                    "credit": df[m].astype(float),
                    "spread": df["rank_spread"].astype(float),
                }
            )
            for m in models
        ],
        ignore_index=True,
    )
    base = alt.Chart(long, title="Rank of each key under every model (1 = most credit)").encode(
        x=alt.X(
            "model:N",
            sort=[labels[m] for m in models],
            title=None,
            axis=alt.Axis(labelAngle=-35, labelLimit=200, labelOverlap=False),
        ),
        y=alt.Y("key_label:N", sort=key_labels.tolist(), title=None, axis=alt.Axis(labelLimit=260)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("rank:Q", scale=alt.Scale(scheme="blues", reverse=True), title="Rank"),
        tooltip=[
            alt.Tooltip("key_label:N", title="Key"),
            alt.Tooltip("model:N", title="Model"),
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("credit:Q", title=MEASURE_TITLES[column], format=fmt),
            alt.Tooltip("spread:Q", title="Rank spread across models"),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("rank:Q", format=".0f"),
        color=alt.condition(alt.datum.rank <= 3, alt.value("white"), alt.value("#222")),
    )
    return (cells + text).properties(height=alt.Step(24))


def team_split_bar(team_split: pd.DataFrame, column: str) -> alt.Chart:
    """Marketing vs sales (vs no touchpoint) share of the credit, one bar each."""
    df = team_split.copy()
    df["team_label"] = df["team"].map(lambda t: "No touchpoint" if t == "No touchpoint" else label(t))
    fmt = "$,.0f" if column.endswith("_usd") else ",.1f"
    return (
        alt.Chart(df, title="Marketing vs sales share of the credit")
        .mark_bar()
        .encode(
            y=alt.Y("team_label:N", sort=["Marketing", "Sales", "No touchpoint"], title=None),
            x=alt.X(
                "share:Q",
                title="Share of credit (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "team_label:N",
                legend=None,
                scale=alt.Scale(
                    domain=["Marketing", "Sales", "No touchpoint"], range=["#1f77b4", "#ff7f0e", "#9e9e9e"]
                ),
            ),
            tooltip=[
                alt.Tooltip("team_label:N", title="Team"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip(f"{column}:Q", title=MEASURE_TITLES[column], format=fmt),
            ],
        )
        .properties(height=alt.Step(30))
    )


# --- Pipeline influence --------------------------------------------------------------------------

PIPELINE_SPLITS = ["Marketing-sourced", "Marketing-influenced", "Sales-only", "No touchpoint"]
PIPELINE_COLORS = alt.Scale(domain=PIPELINE_SPLITS, range=["#1565c0", "#64b5f6", "#ef6c00", "#bdbdbd"])


def pipeline_over_time(long: pd.DataFrame, grain: str, measure: str = "usd") -> alt.Chart:
    """Pipeline created per period (USD, or deals with measure="deals"), stacked by split,
    marketing-sourced at the bottom."""
    data = long.assign(stack_order=long["split_label"].map(PIPELINE_SPLITS.index))
    if measure == "deals":
        y = alt.Y("sum(deals):Q", title="Deals created", axis=alt.Axis(tickMinStep=1, format=",d"))
        unit = "deals"
    else:
        y = alt.Y("sum(pipeline_usd):Q", title="Pipeline created (USD)", axis=alt.Axis(format="$,.2~s"))
        unit = "USD"
    return (
        alt.Chart(data, title=f"Pipeline created per {grain}, by how marketing took part ({unit})")
        .mark_bar()
        .encode(
            x=alt.X(
                "period:O",
                title=f"{grain.capitalize()} the deal was created",
                axis=alt.Axis(labelAngle=0, labelLimit=120),
            ),
            y=y,
            color=alt.Color(
                "split_label:N",
                scale=PIPELINE_COLORS,
                sort=PIPELINE_SPLITS,
                title=None,
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("stack_order:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("period:O", title=grain.capitalize()),
                alt.Tooltip("split_label:N", title="Split"),
                alt.Tooltip("pipeline_usd:Q", title="Pipeline (USD)", format="$,.0f"),
                alt.Tooltip("deals:Q", title="Deals"),
                alt.Tooltip("won_deals:Q", title="Won so far"),
            ],
        )
        .properties(height=340)
    )


def pipeline_by_key(
    df: pd.DataFrame, key_title: str, codes: bool = False, top_n: int = 25, measure: str = "usd"
) -> alt.Chart:
    """Pipeline each campaign / channel sourced and influenced (USD, or deals with measure="deals"),
    sorted by the total."""
    by_deals = measure == "deals"
    total = "deals" if by_deals else "pipeline_usd"
    top = df.sort_values([total, "key"], ascending=[False, True]).head(top_n)
    names = labels(top["name"]) if codes else top["name"].astype(str)
    long = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": names,
                    "role": role,
                    "usd": top[col],
                    "deals": top[deals],
                    "value": top[deals if by_deals else col],
                    "total_deals": top["deals"],
                    "total_usd": top["pipeline_usd"],
                    "won_deals": top["won_deals"],
                    "cost_per_won_deal_usd": top["cost_per_won_deal_usd"],
                }
            )
            for role, col, deals in (
                ("Sourced", "sourced_pipeline_usd", "deals_sourced"),
                ("Influenced", "influenced_pipeline_usd", "deals_influenced"),
            )
        ],
        ignore_index=True,
    )
    shown = f"top {top_n} " if len(df) > top_n else ""
    return (
        alt.Chart(
            long,
            title=f"Pipeline each {key_title} sourced and influenced ({shown}by total, "
            f"{'deals' if by_deals else 'USD'})",
        )
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=names.tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(
                "value:Q",
                stack="zero",
                title="Deals it touched" if by_deals else "Pipeline of the deals it touched (USD)",
                axis=alt.Axis(tickMinStep=1, format=",d") if by_deals else alt.Axis(format="$,.2~s"),
            ),
            color=alt.Color(
                "role:N",
                scale=alt.Scale(domain=["Sourced", "Influenced"], range=["#1565c0", "#64b5f6"]),
                title=None,
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("role:N", sort="descending"),
            tooltip=[
                alt.Tooltip("name:N", title=key_title.capitalize()),
                alt.Tooltip("role:N", title="Role"),
                alt.Tooltip("usd:Q", title="Pipeline (USD)", format="$,.0f"),
                alt.Tooltip("deals:Q", title="Deals"),
                alt.Tooltip("total_usd:Q", title="Sourced + influenced (USD)", format="$,.0f"),
                alt.Tooltip("won_deals:Q", title="Won deals"),
                alt.Tooltip("cost_per_won_deal_usd:Q", title="Cost per won deal (USD)", format="$,.0f"),
            ],
        )
        .properties(height=alt.Step(20))
    )


# --- Touchpoint lift -----------------------------------------------------------------------------


def win_rate_lift(df: pd.DataFrame, dimension_title: str, small_sample_deals: int, codes: bool = True) -> alt.Chart:
    """Difference in win rate (touched minus not touched, percentage points) per key, sorted, with its
    95% interval as a rule; keys with few closed deals on a side drawn faint and named in the legend."""
    names = labels(df["label"]) if codes else df["label"].astype(str)
    small = f"Fewer than {small_sample_deals} closed deals on a side"
    enough = f"{small_sample_deals} or more closed deals on each side"
    data = df.assign(
        name=names,
        direction=df["win_rate_diff_pp"].map(lambda v: "Won more often" if v >= 0 else "Won less often"),
        sample=df["small_sample"].map({True: small, False: enough}),
    )
    order = data.sort_values(["win_rate_diff_pp", "name"], ascending=[False, True])["name"].tolist()
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    # a symmetric axis around 0, wide enough for every interval, in steps of 10 pp
    widest = data[["low95_pp", "high95_pp", "win_rate_diff_pp"]].abs().max().max()
    reach = int(min(100, max(10, -(-widest // 10) * 10)))
    tooltip = [
        alt.Tooltip("name:N", title=dimension_title.capitalize()),
        alt.Tooltip("win_rate_diff_pp:Q", title="Difference (pp)", format="+.1f"),
        alt.Tooltip("low95_pp:Q", title="95% interval from (pp)", format="+.1f"),
        alt.Tooltip("high95_pp:Q", title="95% interval to (pp)", format="+.1f"),
        alt.Tooltip("win_rate_touched:Q", title="Win rate touched", format=".0%"),
        alt.Tooltip("deals_touched_won:Q", title="Touched: won"),
        alt.Tooltip("deals_touched_lost:Q", title="Touched: lost"),
        alt.Tooltip("win_rate_not_touched:Q", title="Win rate not touched", format=".0%"),
        alt.Tooltip("deals_not_touched_won:Q", title="Not touched: won"),
        alt.Tooltip("deals_not_touched_lost:Q", title="Not touched: lost"),
        alt.Tooltip("sample:N", title="Sample"),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar(height={"band": 0.6}).encode(
        y=y,
        x=alt.X(
            "win_rate_diff_pp:Q",
            title="Win rate touched minus not touched (percentage points)",
            scale=alt.Scale(domain=[-reach, reach]),
            axis=alt.Axis(format="+d", tickCount=9),
        ),
        color=alt.Color(
            "direction:N",
            title="Deals it touched",
            scale=alt.Scale(domain=["Won more often", "Won less often"], range=["#2e7d32", "#c62828"]),
            legend=alt.Legend(orient="top"),
        ),
        opacity=alt.Opacity(
            "sample:N",
            title="Sample size",
            scale=alt.Scale(domain=[enough, small], range=[0.9, 0.3]),
            legend=alt.Legend(orient="top", labelLimit=320),
        ),
        tooltip=tooltip,
    )
    interval = base.mark_rule(color="#212121", strokeWidth=1.5).encode(
        y=y, x="low95_pp:Q", x2="high95_pp:Q", tooltip=tooltip
    )
    ends = base.mark_tick(color="#212121", thickness=1.5, size=10).encode(y=y, x="low95_pp:Q") + base.mark_tick(
        color="#212121", thickness=1.5, size=10
    ).encode(y=y, x="high95_pp:Q")
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#616161").encode(x="x:Q")
    return alt.layer(bars, interval, ends, zero).properties(
        title=f"Win-rate lift by {dimension_title}: closed deals touched vs not touched, with 95% intervals",
        height=alt.Step(24),
    )


# --- Review meeting ------------------------------------------------------------------------------


def review_credit(credit: pd.DataFrame, model_label: str) -> alt.LayerChart:
    """One deal's credit under the review's model: a bar per touch in journey order (team as
    colour, its positions in the label), the share written at the end of each bar."""
    rows = [
        "No touchpoint" if pd.isna(n) else f"{int(n)}. {at:%d %b %Y} · {label(tt)}" + (f" ({pos})" if pos else "")
        for n, at, tt, pos in zip(
            credit["touch_number"], credit["occurred_at"], credit["touchpoint_type"], credit["positions"], strict=True
        )
    ]
    data = credit.assign(
        touch=rows,
        team=credit["team"].fillna("No touchpoint"),
        campaign=credit["campaign"].map(_text),
        share_text=[f"{c:.1%}" if c < 0.1 else f"{c:.0%}" for c in credit["credit"]],
    )
    teams = {"marketing": "#1f77b4", "sales": "#ff7f0e", "No touchpoint": "#9e9e9e"}
    y = alt.Y("touch:N", sort=rows, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = [
        alt.Tooltip("touch:N", title="Touch"),
        alt.Tooltip("team:N", title="Team"),
        alt.Tooltip("campaign:N", title="Campaign"),
        alt.Tooltip("credit:Q", title="Share of the deal's credit", format=".1%"),
    ]
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "credit:Q",
                title=f"Share of the deal's credit under {model_label} (%)",
                axis=alt.Axis(format="%", tickCount=5),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "team:N",
                title="Team",
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(
                    domain=[t for t in teams if t in set(data["team"])],
                    range=[c for t, c in teams.items() if t in set(data["team"])],
                ),
            ),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=11, color="#212121")
        .encode(y=y, x="credit:Q", text="share_text:N", tooltip=tooltip)
    )
    return alt.layer(
        bars, text, title=f"Credit receipt under {model_label}: each touch's share of the deal"
    ).properties(height=alt.Step(26))


AGREEMENT_SERIES = ["Marketing called it critical", "Sales called it critical", "Model's share of the credit"]
AGREEMENT_COLORS = alt.Scale(domain=AGREEMENT_SERIES, range=["#1f77b4", "#ff7f0e", "#9e9e9e"])


def review_agreement(by_type: pd.DataFrame, model_label: str) -> alt.LayerChart:
    """Per touchpoint type: the share of each team's verdicts that called it critical, next to the
    share of the discussed deals' credit the model gave it; types sorted by the model's share.
    Each bar is labelled (a team's "0 of 2" shows where a bar of 0% would be invisible)."""
    names = label_map(by_type["touchpoint_type"])
    order = [names[t] for t in by_type["touchpoint_type"]]
    series = []
    for team, name in (("marketing", AGREEMENT_SERIES[0]), ("sales", AGREEMENT_SERIES[1])):
        judged = by_type[by_type[f"{team}_verdicts"] > 0]
        series.append(
            pd.DataFrame(
                {
                    "type": judged["touchpoint_type"].map(names),
                    "series": name,
                    "share": judged[f"{team}_critical_share"].astype(float),
                    "text": [
                        f"{c / v:.0%} ({c} of {v})"
                        for c, v in zip(judged[f"{team}_critical"], judged[f"{team}_verdicts"], strict=True)
                    ],
                }
            )
        )
    series.append(
        pd.DataFrame(
            {
                "type": by_type["touchpoint_type"].map(names),
                "series": AGREEMENT_SERIES[2],
                "share": by_type["model_credit_share"].astype(float),
                "text": [f"{v:.1%}" for v in by_type["model_credit_share"]],
            }
        )
    )
    long = pd.concat(series, ignore_index=True)
    y = alt.Y("type:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    offset = alt.YOffset("series:N", sort=AGREEMENT_SERIES, scale=alt.Scale(domain=AGREEMENT_SERIES))
    tooltip = [
        alt.Tooltip("type:N", title="Touchpoint type"),
        alt.Tooltip("series:N", title="Series"),
        alt.Tooltip("text:N", title="Share"),
    ]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y,
            yOffset=offset,
            x=alt.X(
                "share:Q",
                title="Critical share of a team's verdicts on the type / model's share of the credit (%)",
                # room right of 100% for the labels, but no tick beyond it
                axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1]),
                scale=alt.Scale(domain=[0, 1.15]),
            ),
            color=alt.Color(
                "series:N", scale=AGREEMENT_COLORS, title=None, legend=alt.Legend(orient="top", labelLimit=260)
            ),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(long)
        .mark_text(align="left", dx=3, fontSize=10, color="#424242")
        .encode(y=y, yOffset=offset, x="share:Q", text="text:N", tooltip=tooltip)
    )
    return alt.layer(
        bars, text, title=f"What the teams called critical vs what {model_label} credited, per touchpoint type"
    ).properties(height=alt.Step(14))


# --- Lift adjusted for the account, path reports (issue 14) --------------------------------------


def lift_adjusted(charted: pd.DataFrame, dimension_title: str, codes: bool = True) -> alt.LayerChart:
    """Odds of winning, touched vs not, per key: the raw odds ratio and the one within segment,
    region and deal size (Mantel-Haenszel), each a dot with its 95% interval on a log scale, sorted
    by the raw ratio; keys with few deals per stratum drawn faint (closedloop.pages.lift_adjusted)."""
    names = labels(charted["label"]) if codes else charted["label"].astype(str)
    thin, enough = "Few deals per stratum", "Enough deals per stratum"
    data = charted.assign(name=names, sample=charted["thin"].map({True: thin, False: enough}))
    raw = data[data["figure"] == "Raw"].sort_values(["odds_ratio", "name"], ascending=[False, True])
    order = list(dict.fromkeys(raw["name"].tolist() + data["name"].tolist()))
    low = max(min(float(data["low95"].min()), 0.5), 0.01)
    high = min(max(float(data["high95"].max()), 2.0), 100.0)
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(type="log", domain=[low, high], clamp=True)
    figures = ["Raw", "Within segment, region and size"]
    color = alt.Color(
        "figure:N",
        title="Odds ratio",
        scale=alt.Scale(domain=figures, range=["#9e9e9e", "#1565c0"]),
        legend=alt.Legend(orient="top", labelLimit=320),
    )
    opacity = alt.Opacity(
        "sample:N",
        title="Deals per stratum",
        scale=alt.Scale(domain=[enough, thin], range=[1.0, 0.3]),
        legend=alt.Legend(orient="top", labelLimit=320),
    )
    offset = alt.YOffset("figure:N", sort=figures, scale=alt.Scale(domain=figures))
    tooltip = [
        alt.Tooltip("name:N", title=dimension_title.capitalize()),
        alt.Tooltip("figure:N", title="Figure"),
        alt.Tooltip("odds_ratio:Q", title="Odds ratio", format=".2f"),
        alt.Tooltip("low95:Q", title="95% interval from", format=".2f"),
        alt.Tooltip("high95:Q", title="95% interval to", format=".2f"),
        alt.Tooltip("win_rate_diff_pp:Q", title="Raw difference (pp)", format="+.1f"),
        alt.Tooltip("strata_used:Q", title="Strata compared"),
        alt.Tooltip("deals_in_strata_used:Q", title="Deals in them"),
        alt.Tooltip("smaller_side_per_stratum:Q", title="Smaller side per stratum", format=".1f"),
    ]
    base = alt.Chart(data).encode(y=y, yOffset=offset, color=color, opacity=opacity, tooltip=tooltip)
    rules = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("low95:Q", scale=x_scale, title="Odds of winning, touched vs not touched (1 = no lift; log scale)"),
        x2="high95:Q",
    )
    dots = base.mark_circle(size=70).encode(x=alt.X("odds_ratio:Q", scale=x_scale))
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="#616161", strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(rules, dots, one).properties(
        title=f"Lift by {dimension_title}, raw and within the same segment, region and deal size (95% intervals)",
        height=alt.Step(14),
    )


def path_distribution(rolled: pd.DataFrame, axis_title: str, title: str) -> alt.Chart:
    """Won vs lost deals per band (days or touches to close): each band's share of the won and of
    the lost deals, bands in their order (closedloop.engine.path_reports.rollup)."""
    order = rolled["label"].tolist()
    long = pd.concat(
        [
            rolled.assign(outcome=outcome, share=rolled[share], deals=rolled[count])
            for outcome, share, count in (("Won", "share_of_won", "won_deals"), ("Lost", "share_of_lost", "lost_deals"))
        ],
        ignore_index=True,
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X(
                "label:N",
                sort=order,
                title=axis_title,
                axis=alt.Axis(labelAngle=-35, labelLimit=140, labelOverlap=False),
            ),
            xOffset=alt.XOffset("outcome:N", sort=["Won", "Lost"]),
            y=alt.Y("share:Q", title="Share of the won / lost deals", axis=alt.Axis(format="%")),
            color=alt.Color("outcome:N", scale=WON_LOST_COLORS, title="Deals", legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("label:N", title=axis_title),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("deals:Q", title="Deals", format=","),
                alt.Tooltip("share:Q", title="Share of the outcome's deals", format=".0%"),
                alt.Tooltip("win_rate:Q", title="Win rate in the band", format=".0%"),
            ],
        )
        .properties(title=title, height=260)
    )


# Spend and return (issue 14; closedloop/engine/spend.py) ---------------------

SPEND_TITLES = {
    "roas": "ROAS (attributed won revenue ÷ spend)",
    "cac_usd": "Cost per won deal, CAC (USD)",
    "cost_per_opportunity_usd": "Cost per opportunity (USD)",
    "cost_per_lead_usd": "Cost per lead (USD)",
    "pipeline_per_spend": "Attributed pipeline ÷ spend",
    "spend_usd": "Spend (USD)",
}


def spend_return_bars(report: pd.DataFrame, column: str, title: str) -> alt.Chart:
    """One measure of the spend report per key with spend, sorted best first (ROAS and pipeline ÷
    spend: highest; costs: lowest); ROAS bars below 1 (spend not earned back) in red, with a rule
    at 1."""
    df = report[report["spend_usd"] > 0][["key", column, "spend_usd"]].dropna(subset=[column]).copy()
    df["key_label"] = labels(df["key"])
    money = column.endswith("_usd")
    ratio = column in ("roas", "pipeline_per_spend")
    df = df.sort_values(column, ascending=not ratio, kind="stable")
    df["verdict"] = np.where(df[column] >= 1, "Earns back its spend", "Below its spend") if ratio else "Cost"
    fmt = "$,.0f" if money else ".2f"
    bars = (
        alt.Chart(df, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("key_label:N", sort=df["key_label"].tolist(), title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(f"{column}:Q", title=SPEND_TITLES[column], axis=alt.Axis(format="$,.2s" if money else ".1f")),
            color=alt.Color(
                "verdict:N",
                scale=alt.Scale(domain=["Earns back its spend", "Below its spend"], range=["#2e7d32", "#c62828"])
                if ratio
                else alt.Scale(domain=["Cost"], range=["#1f77b4"]),
                legend=alt.Legend(title=None, orient="bottom") if ratio else None,
            ),
            tooltip=[
                alt.Tooltip("key_label:N", title="Key"),
                alt.Tooltip(f"{column}:Q", title=SPEND_TITLES[column], format=fmt),
                alt.Tooltip("spend_usd:Q", title="Spend (USD)", format="$,.0f"),
            ],
        )
    )
    if ratio:
        rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3], color="#444").encode(x="x:Q")
        return (bars + rule).properties(height=alt.Step(22))
    return bars.properties(height=alt.Step(22))


def credit_trend(over_time: pd.DataFrame, column: str, grain: str, title: str, top_n: int = 8) -> alt.Chart:
    """A measure per period as one line per key (the top_n keys by total, the rest summed as
    "Other")."""
    df = over_time[["period", "key", column]].dropna(subset=[column]).copy()
    totals = df.groupby("key")[column].sum().sort_values(ascending=False)
    keep = [k for k in totals.index if k != "No touchpoint"][:top_n]
    df["key_label"] = np.where(df["key"].isin(keep), labels(df["key"]), "Other")
    if column == "roas":
        df = df[df["key"].isin(keep)]
    else:
        df = df.groupby(["period", "key_label"], as_index=False)[column].sum()
    df["period"] = pd.to_datetime(df["period"])
    money = column.endswith("_usd")
    legend_order = [label(k) for k in keep] + ["Other"]
    return (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "period:T",
                title="Month" if grain == "month" else "Quarter",
                axis=alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 1 if grain == "month" else 3}),
            ),
            y=alt.Y(
                f"{column}:Q",
                title=SPEND_TITLES.get(column) or MEASURE_TITLES.get(column, column),
                axis=alt.Axis(format="$,.2s" if money else ",.1f"),
            ),
            color=alt.Color("key_label:N", sort=legend_order, title=None, legend=alt.Legend(orient="right")),
            tooltip=[
                alt.Tooltip("period:T", title="Period", format="%b %Y"),
                alt.Tooltip("key_label:N", title="Key"),
                alt.Tooltip(f"{column}:Q", format="$,.0f" if money else ",.2f"),
            ],
        )
        .properties(height=320)
    )


def rank_by_quarter(ranks: pd.DataFrame, labels_of: dict[str, str], title: str) -> alt.Chart:
    """Each key's rank (1 = most credit) per quarter, one small panel per model: a key whose colour
    changes along a row depends on the quarter; across panels, on the model."""
    df = ranks.copy()
    df["key_label"] = labels(df["key"])
    df["model_label"] = df["model"].map(lambda m: labels_of.get(m, m))
    order = df.groupby("key_label")["rank"].mean().sort_values().index.tolist()
    quarters = sorted(df["quarter"].unique())
    base = alt.Chart(df).encode(
        x=alt.X("quarter:O", sort=quarters, title=None, axis=alt.Axis(labelAngle=-40, labelOverlap=False)),
        y=alt.Y("key_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("rank:Q", scale=alt.Scale(scheme="blues", reverse=True), title="Rank"),
        tooltip=[
            alt.Tooltip("model_label:N", title="Model"),
            alt.Tooltip("quarter:O", title="Quarter"),
            alt.Tooltip("key_label:N", title="Key"),
            alt.Tooltip("rank:Q", title="Rank"),
            alt.Tooltip("value:Q", title="Credit", format=",.2f"),
        ],
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("rank:Q", format=".0f"),
        color=alt.condition(alt.datum.rank <= 3, alt.value("white"), alt.value("#222")),
    )
    models = [labels_of.get(m, m) for m in dict.fromkeys(df["model"])]
    return (
        (cells + text)
        .properties(width=alt.Step(46), height=alt.Step(20))
        .facet(facet=alt.Facet("model_label:N", sort=models, title=None), columns=4, title=title)
    )
