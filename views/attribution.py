"""Attribution: how much credit each channel, type, campaign, asset and team earns under every model."""

import streamlit as st

from closedloop import charts, filters
from closedloop.engine import attribution as attr
from closedloop.pages.attribution import attribution_view, custom_weights
from ui import columns, common
from ui.charts import draw

st.title("Attribution")
st.caption(
    "For the marketing leader: credit for the period's wins, won revenue and pipeline under each "
    "attribution model — and where the models disagree."
)

catalogue = attr.model_catalogue()
labels = dict(zip(catalogue["model"], catalogue["label"], strict=True))
options = common.call(filters.filter_options)
f = common.filter_bar(options)

BY_LABELS = {
    "channel": "Channel",
    "touchpoint_type": "Touchpoint type",
    "campaign": "Campaign",
    "asset": "Asset",
    "team": "Team",
}
MEASURE_LABELS = {"wins": "Attributed wins", "revenue": "Won revenue (USD)", "pipeline": "Pipeline created (USD)"}

common.from_url("a_model", "model", "w_shaped", allowed=labels)
common.from_url("a_by", "by", "channel", allowed=BY_LABELS)
common.from_url("a_measure", "measure", "wins", allowed=MEASURE_LABELS)
common.from_url("a_half_life", "half_life", float(attr.DEFAULT_HALF_LIFE_DAYS), cast=float, low=0.5, high=365.0)
common.from_url("a_order", "order", attr.DEFAULT_ORDER, allowed=range(1, attr.MAX_ORDER + 1), cast=int)

left, mid, right = st.columns([3, 1.2, 1.6])
model = left.selectbox(
    "Model (weights)",
    list(labels),
    key="a_model",
    format_func=lambda m: (
        f"{labels[m]} — "
        + attr.describe(m, half_life_days=st.session_state["a_half_life"], order=st.session_state["a_order"])
    ),
)
by = mid.selectbox("Group by", list(BY_LABELS), key="a_by", format_func=BY_LABELS.get)
measure = common.choose("Measure", MEASURE_LABELS, "a_measure", where=right)

with st.expander("Model parameters", expanded=model in ("time_decay", "custom", "markov")):
    c = st.columns(2)
    half_life = c[0].number_input(
        "Time-decay half-life (days)",
        min_value=0.5,
        max_value=365.0,
        step=1.0,
        key="a_half_life",
        help="A touch this many days before the close weighs half as much as a touch on the close date.",
    )
    order = c[1].selectbox(
        "Markov order",
        list(range(1, attr.MAX_ORDER + 1)),
        key="a_order",
        help="States are the last k channels of the journey.",
    )
    st.caption("Custom model: weights per position (relative; they are normalized).")
    w = st.columns(5)
    weights = custom_weights(
        *(
            w[i].number_input(name, min_value=0.0, max_value=100.0, value=default, step=5.0, key=f"a_w_{name}")
            for i, (name, default) in enumerate(
                [("FT", 30.0), ("LC", 20.0), ("OC", 20.0), ("CL", 20.0), ("middle", 10.0)]
            )
        )
    )
common.to_url(
    model=model,
    by=by,
    measure=measure,
    half_life=None if half_life == attr.DEFAULT_HALF_LIFE_DAYS else half_life,
    order=None if order == attr.DEFAULT_ORDER else order,
)

try:
    v = common.call(
        attribution_view,
        f=f,
        model=model,
        by=by,
        measure=measure,
        half_life_days=half_life,
        order=order,
        weights=weights,
    )
except ValueError as exc:
    st.error(common.md(exc))
    st.stop()

st.caption(common.period_caption(f) + " · pipeline = amount of deals created in the period")
common.stop_if(
    v.empty,
    "Nothing to credit in this period with these filters: no deal was won (or created, for "
    "pipeline). Pick another quarter or clear a filter.",
    warning=v.note,
)

if v.rollup["key"].eq("No touchpoint").all():
    st.info(
        f"None of these deals had a touch in its window ({f.lookback_days} days before creation up to the "
        "close), so all the credit stays under “No touchpoint”. Import touchpoints (see docs/import.md) or "
        "try a longer lookback."
    )
st.markdown(f"**{common.md(v.label)}** — {common.md(v.weights)}")
chart_col, team_col = st.columns([3, 2])
draw(
    charts.attribution_bars,
    v.rollup,
    v.column,
    f"{MEASURE_LABELS[v.measure]} by {BY_LABELS[by].lower()} — {v.label}",
    where=chart_col,
)
with team_col:
    draw(charts.team_split_bar, v.team_split, v.column)
    if attr.MODELS[model].kind != "rule":
        st.caption("Markov and Shapley credit channels, not teams: the team split uses the W-shaped model.")
    common.grid(
        v.team_split,
        column_config={
            "team": "Team",
            v.column: st.column_config.NumberColumn(MEASURE_LABELS[v.measure], format="%,.1f"),
            "share": st.column_config.NumberColumn("Share", format="percent"),
        },
    )

# what Markov and Shapley add to the credit
DATA_DRIVEN_COLUMNS = {
    "removal_effect": columns.NUM("Removal effect", format="%.3f"),
    "shapley_value": columns.NUM("Shapley value", format="%.4f"),
}
common.grid(v.rollup, column_config={"key": BY_LABELS[by], **columns.CREDIT, **DATA_DRIVEN_COLUMNS})
common.download(v.rollup, f"attribution_{model}_{by}_{f.date_from}_{f.date_to}.csv")

st.subheader("Every model side by side")
st.caption(
    "Rows sorted by average rank. A row whose colour changes across the models is a key whose credit "
    "depends on the model you pick; 'rank spread' is its best minus worst rank."
)
draw(charts.model_rank_heatmap, v.comparison, labels, v.column)
common.grid(
    v.comparison,
    column_config={
        "key": BY_LABELS[by],
        **{m: columns.NUM(labels[m], format="%.2f") for m in labels},
        **{f"rank_{m}": columns.NUM(f"Rank: {labels[m]}", format="%d") for m in labels},
        "rank_spread": columns.NUM("Rank spread", format="%d"),
    },
)
common.download(
    v.comparison,
    f"attribution_all_models_{by}_{v.measure}_{f.date_from}_{f.date_to}.csv",
    label="Download comparison CSV",
)
