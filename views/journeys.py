"""Journeys: the channel paths closed deals followed, won vs lost, and how journeys move between channels."""

import streamlit as st

from closedloop import charts, filters
from closedloop.engine.attribution import MAX_ORDER
from closedloop.pages import journeys, path_reports
from ui import common
from ui.charts import draw

st.title("Journeys")
st.caption(
    "For the review meeting: which sequences of channels led to wins — and to losses — and how long the journeys took."
)


PATH_VIEWS = {
    "first2": "First 2 channels (how journeys open)",
    "first3": "First 3 channels",
    "first4": "First 4 channels",
    "whole": "The whole journey",
    "last2": "Last 2 channels (how journeys close)",
    "last3": "Last 3 channels",
}
DEFAULT_PATH_VIEW = "first3"

# read this page's own settings before the filter bar rewrites the URL
common.from_url("j_top", "top", 10, cast=int, low=3, high=30)
common.from_url("j_order", "order", 1, cast=int, low=1, high=MAX_ORDER)
common.from_url("j_path", "path", DEFAULT_PATH_VIEW, allowed=PATH_VIEWS)
options = common.call(filters.filter_options)
f = common.filter_bar(options)
with st.sidebar:
    st.header("Journeys")
    path_view = st.selectbox(
        "Paths compare",
        list(PATH_VIEWS),
        key="j_path",
        format_func=PATH_VIEWS.get,
        help="Long B2B journeys are nearly all different; their openings and endings "
        "repeat. A cut path ends (or starts) with …",
    )
    top_n = st.slider("Paths in the chart", min_value=3, max_value=30, key="j_top")
    order = st.radio(
        "Markov order (channels a state remembers)",
        list(range(1, MAX_ORDER + 1)),
        key="j_order",
        horizontal=True,
        help="Order 1: the next step depends on the current channel only; "
        "order 2: on the last two channels; and so on.",
    )
if path_view != DEFAULT_PATH_VIEW:
    st.query_params["path"] = path_view
if top_n != 10:
    st.query_params["top"] = str(top_n)
if order != 1:
    st.query_params["order"] = str(order)

path_steps = 0 if path_view == "whole" else int(path_view[-1])
# paths and the chain are cached apart: a new path view keeps the chain, a new order the paths
j = common.call(
    journeys.journeys,
    f=f,
    order=None,
    path_steps=path_steps,
    path_end="last" if path_view.startswith("last") else "first",
)
st.caption(common.period_caption(f))

common.stop_if(j.empty, "No deals closed in this period with these filters. Pick another quarter or clear a filter.")

won = j.summary.set_index("outcome")
cols = st.columns(4)
cols[0].metric("Closed deals", f"{len(j.deals):,}")
cols[1].metric("Distinct channel paths", f"{len(j.paths):,}")
cols[2].metric(
    "Median touches, won vs lost",
    f"{common.fmt(won.loc['won', 'median_touches'], '{:g}')} vs "
    f"{common.fmt(won.loc['lost', 'median_touches'], '{:g}')}",
)
cols[3].metric(
    "Median journey days, won vs lost",
    f"{common.fmt(won.loc['won', 'median_days_first_touch_to_close'], '{:,.0f}')} vs "
    f"{common.fmt(won.loc['lost', 'median_days_first_touch_to_close'], '{:,.0f}')}",
    help="Days from a deal's first touch to its close.",
)

# --- paths ----------------------------------------------------------------------------------------
st.subheader("Most common channel paths")
st.caption(
    f"{PATH_VIEWS[path_view].split(' (')[0]} of each closed deal's journey: the channels of its "
    "touches in time order, repeats in a row collapsed (content > content > sales reads content > "
    "sales). Win rate = won ÷ closed deals on the path. The table's CSV has every deal's whole path."
)
draw(charts.journey_paths, j.paths, top_n)
common.table(
    j.paths,
    "paths (most common first)",
    column_config={
        "path": st.column_config.TextColumn("Channel path", width="large"),
        "deals": st.column_config.NumberColumn("Closed deals"),
        "won_deals": st.column_config.NumberColumn("Won"),
        "lost_deals": st.column_config.NumberColumn("Lost"),
        "win_rate": st.column_config.NumberColumn("Win rate", format="percent"),
        "won_revenue_usd": st.column_config.NumberColumn("Revenue won (USD)", format="$%,.0f"),
    },
)
common.download(j.paths, f"journey_paths_{f.date_from}_{f.date_to}.csv")
common.download(
    j.deals,
    f"journey_paths_per_deal_{f.date_from}_{f.date_to}.csv",
    label="Download CSV (one row per deal, whole paths)",
)

# --- length of the journeys -----------------------------------------------------------------------
st.subheader("How long the journeys were, won vs lost")
left, right = st.columns(2)
draw(
    charts.journey_distribution,
    j.touches.boxes,
    j.touches.dots,
    "touches",
    "Touches before the close (count)",
    "Touches per deal",
    where=left,
)
if not j.days.boxes.empty:
    draw(
        charts.journey_distribution,
        j.days.boxes,
        j.days.dots,
        "days_first_touch_to_close",
        "Days from first touch to close",
        "Days from first touch to close",
        where=right,
    )
else:
    right.info(
        "These deals were imported without dates, so their days from first touch to close are unknown."
        if len(j.deals) and (j.deals["touches"] > 0).any()
        else "None of these deals had a touch, so there are no days from first touch to show."
    )
st.caption(
    "Boxes span the middle half of the deals, the line is the median, whiskers reach the extremes; "
    "each dot is a deal (hover for its name"
    + (
        f"; a random {journeys.MAX_DOTS:,} of each outcome's deals, the boxes use all of them"
        if j.touches.sampled
        else ""
    )
    + "). Deals without a touch count as 0 touches and have no days from first touch."
)
common.grid(
    j.summary,
    column_config={
        "outcome": "Outcome",
        "deals": "Closed deals",
        "deals_without_touch": "Deals without a touch",
        "median_touches": st.column_config.NumberColumn("Median touches", format="%.1f"),
        "mean_touches": st.column_config.NumberColumn("Mean touches", format="%.1f"),
        "median_days_first_touch_to_close": st.column_config.NumberColumn(
            "Median days first touch → close", format="%.0f"
        ),
        "mean_days_first_touch_to_close": st.column_config.NumberColumn("Mean days first touch → close", format="%.0f"),
    },
)
common.download(j.stats, f"journey_stats_{f.date_from}_{f.date_to}.csv", label="Download CSV (one row per deal)")

# --- Markov transitions ---------------------------------------------------------------------------
st.subheader("Where journeys go next: the Markov transition matrix")
st.caption(
    f"The chain behind the Markov attribution model (order {order}): each row is where journeys are, "
    "each cell the share of them that move to the column's state next — another channel, a win or a "
    "loss. Repeats are kept here (sales > sales is a step); deals without a touch have no journey."
)
transitions = common.call(journeys.transition_matrix, f=f, order=order)
if transitions.empty:
    st.info("None of these deals had a touch, so there is no journey to draw.")
else:
    draw(charts.transition_heatmap, transitions)
    common.table(
        transitions,
        "transitions",
        column_config={
            "from_state": "From",
            "to_state": "To",
            "transitions": "Transitions",
            "probability": st.column_config.NumberColumn("Probability", format="percent"),
        },
    )
    common.download(transitions, f"journey_transitions_{f.date_from}_{f.date_to}.csv")

# --- path reports ---------------------------------------------------------------------------------
st.subheader("Path reports: time lag and path length, won vs lost")
st.caption(
    "How many days each closed deal took from its first touch to its close, and how many touches it had, "
    "counted per band. Bars: each band's share of the won deals and of the lost deals, so the two compare "
    "whatever the win rate. The counts add up across months, segments and quarters (CSV: one row per month)."
)
pd_ = j.reports  # counted from the paths' per-deal rows: no second pass over the touches
for where, report, axis, title in zip(
    st.columns(2),
    (pd_.time_lag, pd_.path_length),
    ("Days from first touch to close", "Touches before the close"),
    ("Time lag: days to close", "Path length: touches to close"),
    strict=True,
):
    draw(charts.path_distribution, report[report["band"] >= 0], axis, title, height=340, where=where)
special = pd_.time_lag[pd_.time_lag["band"] < 0]
if len(special):
    st.caption(
        "Not drawn: "
        + "; ".join(f"{r.label} — {r.won_deals:,} won, {r.lost_deals:,} lost" for r in special.itertuples())
        + "."
    )
band_columns = {
    "band": None,
    "label": "Band",
    "won_deals": st.column_config.NumberColumn("Won", format="%d"),
    "lost_deals": st.column_config.NumberColumn("Lost", format="%d"),
    "closed_deals": st.column_config.NumberColumn("Closed deals", format="%d"),
    "win_rate": st.column_config.NumberColumn("Win rate", format="percent"),
    "share_of_won": st.column_config.NumberColumn("Share of won", format="percent"),
    "share_of_lost": st.column_config.NumberColumn("Share of lost", format="percent"),
    "won_amount_usd": st.column_config.NumberColumn("Revenue won (USD)", format="$%,.0f"),
}
left, right = st.columns(2)
for column, rolled, by_month, unit, digits, stem in (
    (left, pd_.time_lag, pd_.time_lag_by_month, "days", "%.0f", "path_time_lag_by_month"),
    (right, pd_.path_length, pd_.path_length_by_month, "touches", "%.1f", "path_length_by_month"),
):
    with column:
        common.grid(
            rolled,
            column_config={
                **band_columns,
                "mean_won": st.column_config.NumberColumn(f"Mean {unit}, won", format=digits),
                "mean_lost": st.column_config.NumberColumn(f"Mean {unit}, lost", format=digits),
            },
        )
        common.download(by_month, f"{stem}_{f.date_from}_{f.date_to}.csv")

st.subheader("Paths before credit")
st.caption(
    "Each closed deal's channel path rewritten before any model credits it, then counted: conversions "
    "(won deals), non-conversions (lost deals) and win rate per path. The CSV is the format "
    "`python -m closedloop attribute-paths --paths` reads."
)
transform = st.selectbox(
    "Path transform",
    list(path_reports.TRANSFORMS),
    index=list(path_reports.TRANSFORMS).index("collapse_repeats"),
    key="j_transform",
    format_func=path_reports.TRANSFORMS.get,
)
drop = None
if transform == "drop_channel":
    channels = path_reports.channels_in(j.collapsed_paths)
    drop = st.selectbox("Channel to drop (kept where it is the whole path)", channels, key="j_drop")
# repeats collapsed (the default) are the whole paths above, counted: no query of their own
summary = (
    j.collapsed_paths
    if transform == "collapse_repeats"
    else common.call(path_reports.transformed_paths, f=f, transform=transform, drop_channel=drop)
)
common.table(
    summary,
    "paths (most deals first)",
    column_config={
        "path": st.column_config.TextColumn("Channel path", width="large"),
        "steps": st.column_config.NumberColumn("Steps"),
        "total_conversions": st.column_config.NumberColumn("Conversions (won)"),
        "total_conversion_value": st.column_config.NumberColumn("Revenue won (USD)", format="$%,.0f"),
        "total_null": st.column_config.NumberColumn("Non-conversions (lost)"),
        "win_rate": st.column_config.NumberColumn("Win rate", format="percent"),
    },
)
common.download(summary, f"paths_{transform}_{f.date_from}_{f.date_to}.csv")
