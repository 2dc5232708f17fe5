"""Touchpoint lift: did the closed deals a touchpoint touched win more often than those it did not?"""

import streamlit as st

from closedloop import charts, filters
from closedloop.pages import lift as lift_view
from closedloop.pages import lift_adjusted
from ui import columns, common
from ui.charts import draw

st.title("Touchpoint lift")
st.caption(
    "For the review meeting: for each touchpoint type, channel, campaign or asset, the win rate of the "
    "period's closed deals it touched against the win rate of those it did not — with the wins and "
    "losses behind both. Lift is association, not cause: a touch sales books for deals already going "
    "well shows lift too."
)

DIMS = list(lift_view.DIMENSION_TITLES)

# the page's own setting lives in the URL too; read it before the filter bar rewrites the query string
if "l_dimension" not in st.session_state:
    url_dim = st.query_params.get("by", DIMS[0])
    st.session_state["l_dimension"] = url_dim if url_dim in DIMS else DIMS[0]

options = common.call(filters.filter_options)
f = common.filter_bar(options)
dimension = st.segmented_control(
    "Compare each",
    DIMS,
    key="l_dimension",
    required=True,
    format_func=lambda d: lift_view.DIMENSION_TITLES[d].capitalize(),
)
st.query_params["by"] = dimension
title = lift_view.DIMENSION_TITLES[dimension]

v = common.call(lift_view.lift_view, f=f, dimension=dimension)
st.caption(common.period_caption(f))

if not v.closed_deals:
    st.info("No deals closed in this period with these filters. Pick another quarter or clear a filter.")
    st.stop()
common.stop_if(
    v.empty,
    f"No deal closed in this period ({v.closed_deals:,} closed) had a touch with a {title} in its "
    "window, so there is nothing to compare. Try another dimension or a longer lookback.",
)

cols = st.columns(4)
cols[0].metric("Closed deals", f"{v.closed_deals:,}", help="Won + lost deals closed in the period.")
cols[1].metric("Won", f"{v.deals_won:,}")
cols[2].metric("Lost", f"{v.deals_lost:,}")
cols[3].metric("Win rate", f"{v.deals_won / v.closed_deals:.1%}")
if one_sided := common.one_sided(v.deals_won, v.deals_lost):
    st.warning(one_sided, icon=":material/balance:")

codes = dimension in ("touchpoint_type", "channel")
if v.charted.empty:
    st.info(f"Every {title} here touched every closed deal, so there is no 'not touched' side to compare with.")
else:
    draw(charts.win_rate_lift, v.charted, title, v.small_sample_deals, codes=codes)
st.caption(
    "Bar: win rate of the closed deals it touched minus win rate of those it did not, in percentage points; "
    "black line: the 95% interval of that difference (Newcombe's score interval) — when it crosses 0 the "
    f"difference could be chance. Faint bars: fewer than {v.small_sample_deals} closed deals on one side, "
    "so read them with care. Hover for the counts."
    + (
        ""
        if len(v.charted) == len(v.table)
        else f" Not drawn: {len(v.table) - len(v.charted)} that touched every closed deal (see the table)."
    )
)

# both tables: the key (a campaign's ID; the other keys are their own label), its label, the four counts
KEY_COLUMNS = {"key": None if dimension != "campaign" else "Campaign ID", "label": title.capitalize()}
COUNT_TITLES = {
    "deals_touched_won": "Touched: won",
    "deals_touched_lost": "Touched: lost",
    "deals_not_touched_won": "Not touched: won",
    "deals_not_touched_lost": "Not touched: lost",
}
NUM = columns.NUM

st.subheader(f"The counts behind each {title}")
common.grid(
    v.table,
    column_config={
        **KEY_COLUMNS,
        **columns.hidden("deals_touched", "deals_not_touched"),
        **columns.numbers(COUNT_TITLES),
        **columns.numbers(
            {"win_rate_touched": "Win rate touched", "win_rate_not_touched": "Win rate not touched"}, "percent"
        ),
        **columns.hidden("win_rate_diff", "win_rate_diff_low95", "win_rate_diff_high95"),
        **columns.numbers(
            {
                "win_rate_diff_pp": "Difference (pp)",
                "low95_pp": "95% interval from (pp)",
                "high95_pp": "95% interval to (pp)",
            },
            "%+.1f",
        ),
        "small_sample": st.column_config.CheckboxColumn(
            "Small sample", help=f"Fewer than {v.small_sample_deals} closed deals touched or not touched."
        ),
    },
    # the counts of won and lost deals stand for their totals
    column_order=[c for c in lift_view.COLUMNS if c not in ("deals_touched", "deals_not_touched")],
)
common.download(v.table, f"win_rate_lift_by_{dimension}_{f.date_from}_{f.date_to}.csv")

# --- adjusted for the account ---------------------------------------------------------------------
st.subheader("Adjusted for the account: is it the touch, or who it reaches?")
st.caption(
    "A touch that mostly reaches accounts that win more often anyway shows lift that is only who the deal "
    "is. Here each key's closed deals are compared within the same account segment, region and deal-size "
    "band, and pooled (Cochran–Mantel–Haenszel): the odds of winning touched vs not touched, raw and within "
    "those strata, with 95% intervals. 1 means no lift."
)
a = common.call(lift_adjusted.adjusted_view, f=f, dimension=dimension)
if a.empty:
    st.info(f"No {title} touched a closed deal of this period, so there is nothing to adjust.")
else:
    for sentence in a.sentences:
        st.markdown(f":material/lightbulb: {common.md(sentence)}")
    if not a.sentences:
        st.caption("Raw and adjusted agree here: no key's lift is mostly the kind of account it reaches.")
    if a.charted.empty:
        st.info("No key has an odds ratio to draw: every one won or lost all its deals on one side.")
    else:
        draw(charts.lift_adjusted, a.charted, title, codes=codes)
    st.caption(
        f"Strata: segment × region × deal size ({', '.join(a.band_labels)}). Only strata in which a key "
        "touched some deals and not others count. Faint: fewer than "
        f"{lift_adjusted.MIN_DEALS_PER_STRATUM} deals per stratum on the smaller side, so read them with care; "
        "the table has the counts. Grey: raw odds ratio; blue: within the strata."
    )
    common.grid(
        a.table,
        column_config={
            **KEY_COLUMNS,
            **columns.hidden(*COUNT_TITLES),
            "win_rate_diff_pp": NUM("Raw difference (pp)", format="%+.1f"),
            "odds_ratio_raw": NUM("Odds ratio raw", format="%.2f"),
            **columns.hidden("odds_ratio_raw_low95", "odds_ratio_raw_high95"),
            **columns.numbers(
                {
                    "odds_ratio_adjusted": "Odds ratio adjusted",
                    "odds_ratio_adjusted_low95": "Adjusted 95% from",
                    "odds_ratio_adjusted_high95": "Adjusted 95% to",
                },
                "%.2f",
            ),
            "cmh_p_value": NUM("CMH p-value", format="%.3f"),
            **columns.numbers({"strata_used": "Strata compared", "deals_in_strata_used": "Deals in them"}),
            "smaller_side_per_stratum": NUM("Smaller side per stratum", format="%.1f"),
            "thin": st.column_config.CheckboxColumn("Few deals per stratum"),
            "share_explained": NUM("Share explained by the account", format="percent"),
            "sentence": None,
        },
    )
    common.download(a.table, f"win_rate_lift_adjusted_by_{dimension}_{f.date_from}_{f.date_to}.csv")
    common.download(
        a.strata,
        f"win_rate_lift_strata_by_{dimension}_{f.date_from}_{f.date_to}.csv",
        label="Download CSV (every key's counts per stratum)",
    )
