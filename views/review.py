"""Closed-loop review: the period's won and lost deals and the touches that preceded them."""

from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from closedloop import charts, filters
from closedloop.pages import review
from ui import columns, common
from ui.charts import draw

st.title("Closed-loop review")
st.caption("For the joint sales + marketing meeting: what preceded this period's wins — and its losses.")

options = common.call(filters.filter_options)
f = common.filter_bar(options)
r = common.call(review.review, f=f)
st.caption(common.period_caption(f))

common.stop_if(r.empty, "No deals closed in this period with these filters. Pick another quarter or clear a filter.")

k = r.kpis
row1, row2 = st.columns(4), st.columns(4)
row1[0].metric("Deals won", f"{k['deals_won']:,}")
row1[1].metric("Deals lost", f"{k['deals_lost']:,}")
row1[2].metric("Win rate", f"{k['win_rate']:.1%}", help="Won ÷ (won + lost) of the deals closed in the period.")
row1[3].metric("Revenue won", f"${k['revenue_won_usd']:,.0f}")
row2[0].metric(
    "Median days to close",
    common.fmt(k["median_days_to_close"], "{:,.0f} days")
    if k["median_days_to_close"] is not None or not k["won_dates_unknown"]
    else "dates unknown",
    help="From deal creation to close, over the won deals"
    + (
        f"; {k['won_dates_unknown']:,} won deal(s) were imported without dates and are left out."
        if k["won_dates_unknown"]
        else "."
    ),
)
row2[1].metric(
    "Wins marketing touched",
    common.fmt(k["share_won_marketing_touched"], "{:.0%}"),
    help="Share of won deals with at least one marketing touch in their window.",
)
row2[2].metric(
    "Wins sales touched",
    common.fmt(k["share_won_sales_touched"], "{:.0%}"),
    help="Share of won deals with at least one sales touch in their window.",
)
if one_sided := common.one_sided(k["deals_won"], k["deals_lost"]):
    st.warning(one_sided, icon=":material/balance:")

if r.touch_types.empty:
    st.info("None of these deals had a touchpoint in its window, so there is nothing to compare.")
else:
    draw(charts.touch_type_shares, r.touch_types)
    st.caption(
        "Bars: share of the period's won (green) and lost (red) deals that had at least one touch "
        "of the type; sorted by won minus lost. Hover for the counts."
    )

st.subheader("Closed deals")
shown = common.table(
    r.deals,
    "closed deals",
    largest="amount_usd",
    column_config={
        **columns.DEAL,
        # shown only when some deal was imported without dates (None hides a column)
        "dates_unknown": st.column_config.CheckboxColumn("Dates unknown", help="Imported without dates (as_of).")
        if r.deals["dates_unknown"].any()
        else None,
        "marketing_touches": st.column_config.NumberColumn("Marketing touches"),
        "sales_touches": st.column_config.NumberColumn("Sales touches"),
    },
)
if r.deals["dates_unknown"].any():
    st.caption(
        f"{int(r.deals['dates_unknown'].sum()):,} of these deals were imported without dates: their close "
        "date is the import's stand-in (its `as_of` date) and their days to close are unknown (empty)."
    )
common.download(r.deals, f"closed_deals_{f.date_from}_{f.date_to}.csv")

# the review's way into one deal's timeline, credit receipt and notes
pick_col, link_col = st.columns([3, 1], vertical_alignment="bottom")
# the deals on screen: a selectbox of 100k deals would cost a second a rerun and help nobody
deal_names = {row.deal_id: f"{row.deal_name} ({row.outcome})" for row in shown.itertuples()}
picked = pick_col.selectbox(
    "Open a deal in the deal explorer",
    list(deal_names),
    format_func=deal_names.get,
    key="review_open_deal",
    help="One of the deals in the table; the deal explorer finds any other.",
)
link = {"deal": picked, "lookback": str(f.lookback_days), "scope": f.scope}
try:
    link_col.page_link(
        "views/deal_explorer.py", label="Open in deal explorer", icon=":material/timeline:", query_params=link
    )
except StreamlitPageNotFoundError:  # the page runs on its own, without the router (AppTest)
    link_col.markdown(f"[Open in deal explorer](deal?{urlencode(link)})")
