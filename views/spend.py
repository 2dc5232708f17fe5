"""Spend & return: what each channel or campaign cost and returned under a model, credit over
time, and whether the ranking of channels holds across quarters and models."""

import streamlit as st

from closedloop import charts, filters
from closedloop.engine import attribution as attr
from closedloop.pages.spend import ranks_view, spend_view
from ui import columns, common
from ui.charts import draw

st.title("Spend & return")
st.caption(
    "For the marketing leader: what each channel or campaign cost, what it returned under the model "
    "you pick (ROAS, cost per won deal, per opportunity, per lead), and whether that holds month by "
    "month and model by model."
)

catalogue = attr.model_catalogue()
labels = dict(zip(catalogue["model"], catalogue["label"], strict=True))
labels.pop("custom", None)
options = common.call(filters.filter_options)
f = common.filter_bar(options, period_label="credit booked in")

BY_LABELS = {"channel": "Channel", "campaign": "Campaign"}
BOOKING_LABELS = {"close": "Close date", "touch": "Touch date"}
GRAIN_LABELS = {"month": "Month", "quarter": "Quarter"}
MEASURE_LABELS = {
    "roas": "ROAS",
    "cac_usd": "Cost per won deal",
    "cost_per_opportunity_usd": "Cost per opportunity",
    "cost_per_lead_usd": "Cost per lead",
    "pipeline_per_spend": "Pipeline ÷ spend",
}

common.from_url("s_model", "model", "linear", allowed=labels)
common.from_url("s_by", "by", "channel", allowed=BY_LABELS)
common.from_url("s_booking", "booking", "close", allowed=BOOKING_LABELS)
common.from_url("s_grain", "grain", "month", allowed=GRAIN_LABELS)

c = st.columns([3, 1.2, 1.6, 1.2])
model = c[0].selectbox(
    "Model (weights)", list(labels), key="s_model", format_func=lambda m: f"{labels[m]} — {attr.describe(m)}"
)
by = c[1].selectbox("Group by", list(BY_LABELS), key="s_by", format_func=BY_LABELS.get)
booking = common.choose(
    "Credit booked on",
    BOOKING_LABELS,
    "s_booking",
    where=c[2],
    help="Close date: a won deal's credit counts in the month it closed (pipeline: the month the deal "
    "was created). Touch date: each touch's share counts in the month the touch happened.",
)
grain = c[3].selectbox("Trend by", list(GRAIN_LABELS), key="s_grain", format_func=GRAIN_LABELS.get)
common.to_url(model=model, by=by, booking=booking, grain=grain)

try:
    v = common.call(spend_view, f=f, model=model, by=by, booking=booking, grain=grain)
except ValueError as exc:
    st.error(common.md(exc))
    st.stop()

st.caption(common.period_caption(f, "Credit booked") + " · whole months")
st.markdown(f"**How spend meets credit.** {v.rule}")
common.stop_if(
    v.empty,
    "No spend and no credit in this period with these filters. Import spend (docs/spend.md: by "
    "campaign or channel, per day or month) or campaign costs, pick another period or clear a filter.",
    warning=v.note,
)

st.subheader("Return on spend")
if not v.has_spend:
    st.info(
        "No spend recorded for this period: import spend by campaign or channel (docs/spend.md) or give "
        "campaigns a cost and dates. The credit below has nothing to be divided by yet."
    )
else:
    totals = v.report[v.report["spend_usd"] > 0]
    spent = float(totals["spend_usd"].sum())
    revenue = float(totals["attributed_revenue_usd"].fillna(0).sum())
    wins = float(totals["attributed_wins"].fillna(0).sum())
    k = st.columns(3)
    k[0].metric("Spend (USD)", f"${spent:,.0f}")
    k[1].metric("ROAS of the spend", f"{revenue / spent:,.2f}" if spent else "–", help="Attributed won revenue ÷ spend")
    k[2].metric("Cost per won deal (USD)", f"${spent / wins:,.0f}" if wins else "–")
    common.from_url("s_measure", "measure", "roas", allowed=MEASURE_LABELS)
    measure = common.choose("Measure", MEASURE_LABELS, "s_measure")
    common.to_url(measure=measure)
    draw(
        charts.spend_return_bars,
        v.report,
        measure,
        f"{MEASURE_LABELS[measure]} by {BY_LABELS[by].lower()} — {labels[model]}",
    )
common.grid(
    v.report,
    column_config={
        "key": BY_LABELS[by],
        "spend_usd": columns.NUM("Spend (USD)", format="dollar"),
        "leads": columns.NUM("Leads", format="%d"),
        "attributed_opportunities": columns.NUM("Attributed opportunities", format="%.2f"),
        **columns.CREDIT,
        "cost_per_lead_usd": columns.NUM("Cost per lead (USD)", format="dollar"),
        "cost_per_opportunity_usd": columns.NUM("Cost per opportunity (USD)", format="dollar"),
        "cac_usd": columns.NUM("Cost per won deal (USD)", format="dollar"),
        "roas": columns.NUM("ROAS", format="%.2f"),
        "pipeline_per_spend": columns.NUM("Pipeline ÷ spend", format="%.2f"),
    },
)
st.caption(
    "Leads: leads created in the period by their source channel or campaign. Opportunities, wins, "
    "revenue and pipeline: the model's credit. A ratio shows None where there is nothing to divide: "
    "no spend recorded for the row (sales touches, organic channels), or no leads, opportunities or wins "
    "to divide it by. The CSV leaves those cells empty."
)
common.download(v.report, f"spend_{model}_{by}_{booking}_{f.date_from}_{f.date_to}.csv")

st.subheader("Credit over time")
trend = v.over_time
if trend.empty:
    st.info("No credit booked in this period.")
else:
    t = st.columns(2)
    draw(charts.credit_trend, trend, "attributed_revenue_usd", grain, f"Attributed won revenue per {grain}", where=t[0])
    draw(charts.credit_trend, trend, "attributed_wins", grain, f"Attributed wins per {grain}", where=t[1])
    if v.has_spend and trend["roas"].notna().any():
        draw(charts.credit_trend, trend, "roas", grain, f"ROAS per {grain}")
    common.download(trend, f"credit_over_time_{model}_{by}_{grain}_{booking}_{f.date_from}_{f.date_to}.csv")

st.subheader("Ranks across the last quarters, under every model")
st.caption(
    "Rank of each key by attributed wins in each quarter up to the end of the period (1 = most credit). "
    "A row that changes colour within a panel depends on the quarter; across panels, on the model."
)
common.from_url("s_ranks_dd", "ranks_dd", False, cast=lambda x: x == "1")
data_driven = st.toggle(
    "Add Markov and Shapley",
    key="s_ranks_dd",
    disabled=booking == "touch",
    help="Every rule-based model is ranked in one pass; Markov and Shapley take one pass per quarter (slower), "
    "and credit channels of closed deals, so only with credit booked on the close.",
)
common.to_url(ranks_dd="1" if data_driven else None)
ranks = common.call(ranks_view, f=f, by=by, booking=booking, data_driven=data_driven and booking == "close")
if ranks.empty:
    st.info("No won deal in these quarters to rank the keys by.")
else:
    draw(charts.rank_by_quarter, ranks, labels, "Rank by quarter and model", width=None)
    common.download(ranks, f"ranks_by_quarter_{by}_{booking}_{f.date_to}.csv", label="Download ranks CSV")
