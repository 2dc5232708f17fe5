"""The Journeys page's charts: the common paths, time lag and path length, the transition matrix."""

from __future__ import annotations

import altair as alt
import pandas as pd

from closedloop.charts.base import WON_LOST_COLORS, label, label_map, share_cells, top_axis

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
            axis=top_axis(180),
        ),
        y=alt.Y("from_label:N", sort=from_order, title="From state", axis=alt.Axis(labelLimit=260)),
        tooltip=[
            alt.Tooltip("from_label:N", title="From"),
            alt.Tooltip("to_label:N", title="To"),
            alt.Tooltip("transitions:Q", title="Transitions"),
            alt.Tooltip("probability:Q", title="Probability", format=".1%"),
        ],
    )
    cells = share_cells(base, "probability", "Probability (%)", alt.Legend(format="%"))
    title = "Markov transition matrix: where a journey goes next" + (
        f" (the {max_states} busiest states)" if cut else ""
    )
    return cells.properties(title=title, height=alt.Step(28))


def _state_label(state: str) -> str:
    """'paid_search > content' -> 'Paid search > Content'; '(won)' stays as it is."""
    if state.startswith("("):
        return state
    return " > ".join(label(s) for s in state.split(" > "))


# --- Path reports (issue 14) ----------------------------------------------------------------------


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
