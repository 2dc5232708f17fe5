"""Pipeline influence: pipeline created, split by how marketing took part, by period and by campaign/channel."""

import streamlit as st

from closedloop import charts
from closedloop.pages import pipeline_influence as pipeline
from ui import common
from ui.charts import draw

st.title("Pipeline influence")
st.caption(
    "For the marketing leader: how much of the pipeline created did marketing source, how much did it "
    "influence, and which campaigns and channels were behind it?"
)

DEFS = list(pipeline.DEFINITIONS)


# the page's own settings live in the URL too; read them before the filter bar rewrites the query string
common.from_url("p_definition", "definition", DEFS[0], allowed=DEFS)
common.from_url("p_days", "days", pipeline.DEFAULT_WINDOW_DAYS, cast=int, low=0, high=3650)
common.from_url("p_grain", "grain", "month", allowed=pipeline.GRAINS)
# no measure in the URL: USD, or deal counts when the data has no amounts (decided below)
common.from_url("p_measure_url", "measure", None, allowed=list(pipeline.MEASURES))

options = common.call(pipeline.filter_options)
f = common.filter_bar(options, period_label="deals created in")
with st.sidebar:
    st.header("Pipeline influence")
    definition = st.radio(
        "Marketing-sourced means", DEFS, key="p_definition", format_func=lambda d: pipeline.DEFINITIONS[d][0]
    )
    days = int(
        st.number_input(
            "N: days before the opportunity",
            min_value=0,
            max_value=3650,
            step=15,
            key="p_days",
            disabled=definition != "window",
            help="Used by the definition “marketing touch within N days before the opportunity”.",
        )
    )
    grain = st.radio("Bars per", pipeline.GRAINS, key="p_grain", horizontal=True)

r = common.call(pipeline.pipeline, f=f, definition=definition, window_days=days, grain=grain)
if "p_measure" not in st.session_state:
    st.session_state["p_measure"] = st.session_state["p_measure_url"] or ("deals" if r.amounts_missing else "usd")
with st.sidebar:
    measure = common.choose(
        "Measure",
        pipeline.MEASURES,
        "p_measure",
        help="Sum the deals' amounts, or count the deals (when the CRM has no amounts).",
    )
st.query_params.update({"definition": definition, "days": str(days), "grain": grain, "measure": measure})
by_deals = measure == "deals"
st.caption(common.period_caption(f, "Deals created"))

name, rule = pipeline.DEFINITIONS[definition]
st.markdown(
    f"**Definition: {name.replace('N days', f'{days} days')}.** {rule.replace('N days', f'{days} days')} "
    "No touchpoint: no touch in the deal's window (counted, so the total matches the CRM's pipeline)."
)

common.stop_if(
    r.empty, "No deals were created in this period with these filters. Pick another quarter or clear a filter."
)

if r.amounts_missing:
    st.warning(
        f"None of the {r.total_deals:,} deals created in this period has an amount (all are empty or 0), "
        "so the pipeline in USD is $0. "
        + (
            "Showing the number of deals instead."
            if by_deals
            else "Choose **Number of deals** under Measure to compare the splits by deal count."
        )
    )

totals = r.totals.set_index("split")
cols = st.columns(5)
if by_deals:
    cols[0].metric(
        "Deals created",
        f"{r.total_deals:,}",
        help=f"Deals created in the period; their amounts add up to ${r.total_usd:,.0f}.",
    )
else:
    cols[0].metric(
        "Pipeline created",
        f"${r.total_usd:,.0f}",
        help=f"Sum of the amounts of the {r.total_deals:,} deals created in the period.",
    )
for col, split in zip(cols[1:], pipeline.SPLITS, strict=True):
    row = totals.loc[split]
    n = int(row["deals"])
    deals, usd = f"{n:,} deal{'' if n == 1 else 's'}", f"${row['pipeline_usd']:,.0f}"
    if by_deals:
        value, delta = deals, f"{row['share_of_deals']:.0%} of deals · {usd}"
    else:
        value, delta = usd, f"{row['share_of_pipeline']:.0%} of pipeline · {deals}"
    col.metric(pipeline.SPLITS[split], value, delta=delta, delta_color="off", delta_arrow="off")

draw(charts.pipeline_over_time, r.by_period, grain, measure)
if by_deals:
    table = r.table_deals
    columns = {f"{k}_deals": st.column_config.NumberColumn(f"{v} (deals)") for k, v in pipeline.SPLITS.items()}
else:
    table = r.table
    columns = {
        **{
            f"{k}_usd": st.column_config.NumberColumn(f"{v} (USD)", format="$%,.0f") for k, v in pipeline.SPLITS.items()
        },
        "pipeline_usd": st.column_config.NumberColumn("Pipeline created (USD)", format="$%,.0f"),
    }
common.grid(
    table,
    column_config={"period": grain.capitalize(), **columns, "deals": st.column_config.NumberColumn("Deals")},
)
common.download(table, f"pipeline_by_{grain}_{definition}_{measure}_{f.date_from}_{f.date_to}.csv")

st.subheader("By campaign and by channel")
st.caption(
    "Each campaign (channel) with a marketing touch in a deal's window gets the deal's full amount, so a deal "
    "touched by several campaigns counts once for each and the rows add up to more than the pipeline. "
    "Sourced: under the definition above, this campaign's touch (or, for lead source, the lead's campaign / "
    "source channel) is what makes the deal marketing-sourced; influenced: any other of its touches in the "
    "window. Cost per won deal = the campaign's whole cost (a channel: the summed cost of its campaigns) ÷ "
    "the won deals among those it sourced or influenced; blank where the cost is unknown or nothing was won."
)
KEY_COLUMNS = {
    "deals_sourced": st.column_config.NumberColumn("Deals sourced"),
    "sourced_pipeline_usd": st.column_config.NumberColumn("Sourced pipeline (USD)", format="$%,.0f"),
    "deals_influenced": st.column_config.NumberColumn("Deals influenced"),
    "influenced_pipeline_usd": st.column_config.NumberColumn("Influenced pipeline (USD)", format="$%,.0f"),
    "deals": st.column_config.NumberColumn("Deals touched"),
    "pipeline_usd": st.column_config.NumberColumn("Sourced + influenced (USD)", format="$%,.0f"),
    "won_deals": st.column_config.NumberColumn("Won deals"),
    "won_usd": st.column_config.NumberColumn("Won (USD)", format="$%,.0f"),
    "cost_usd": st.column_config.NumberColumn("Cost (USD)", format="$%,.0f"),
    "cost_per_won_deal_usd": st.column_config.NumberColumn("Cost per won deal (USD)", format="$%,.0f"),
}
tab_campaign, tab_channel = st.tabs(["By campaign", "By channel"])
for tab, df, what, codes in (
    (tab_campaign, r.by_campaign, "campaign", False),
    (tab_channel, r.by_channel, "channel", True),
):
    with tab:
        if df.empty:
            st.info(f"No deal created in this period had a marketing touch, so no {what} took part.")
            continue
        draw(charts.pipeline_by_key, df, what, codes=codes, measure=measure)
        common.grid(
            df,
            column_config={"key": "ID" if what == "campaign" else None, "name": what.capitalize(), **KEY_COLUMNS},
        )
        common.download(df, f"pipeline_by_{what}_{definition}_{f.date_from}_{f.date_to}.csv")
