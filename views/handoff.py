"""Handoff & SLA: how fast marketing's leads are followed up, which never were and what they cost."""

import streamlit as st

from closedloop import charts
from closedloop.pages import handoff
from ui import columns, common
from ui.charts import draw

# a lead's columns, in both lead tables (never followed up; every lead of the period)
LEAD_COLUMNS = {
    "lead_id": "Lead ID",
    "account_name": "Account",
    "owner": "Lead owner",
    "source_channel": "Source channel",
    "campaign_id": None,
    "campaign_name": "Campaign",
    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
    "assigned_at": st.column_config.DatetimeColumn("Assigned", format="YYYY-MM-DD HH:mm"),
}

st.title("Handoff & SLA")
st.caption(
    "For both leaders: does every lead marketing hands over get a timely follow-up from sales, "
    "and how do leads turn into opportunities and wins?"
)

# the page's own setting lives in the URL too; read it before the filter bar rewrites the query string
if "h_sla" not in st.session_state:
    st.session_state["h_sla"] = int(
        common.url_value("sla", float(handoff.DEFAULT_SLA_HOURS), cast=float, low=1, high=720)
    )

options = common.call(handoff.filter_options)
f = common.filter_bar(options, show_scope=False, period_label="leads created in")
with st.sidebar:
    sla = st.number_input(
        "SLA: hours from assignment to first follow-up", min_value=1, max_value=720, step=1, key="h_sla"
    )
st.query_params["sla"] = str(int(sla))

h = common.call(handoff.handoff, f=f, sla_hours=float(sla))
st.caption(
    " · ".join(
        [f"Leads created {f.date_from:%d %b %Y} – {f.date_to:%d %b %Y}"]
        + [f"{key} {common.md(getattr(f, key))}" for key in ("segment", "region") if getattr(f, key)]
        + ([f"lead owner {common.md(f.owner)}"] if f.owner else [])
        + [f"SLA {sla:g} hours"]
    )
)

common.stop_if(
    h.empty, "No assigned leads were created in this period with these filters. Pick another quarter or clear a filter."
)

k = h.kpis
row1, row2 = st.columns(4), st.columns(4)
row1[0].metric(
    "Leads assigned",
    f"{k['leads_assigned']:,}",
    help="Leads created in the period with an assignment to a sales owner.",
)
row1[1].metric(
    "Follow-up rate",
    common.fmt(k["follow_up_rate"], "{:.0%}"),
    help=f"{k['followed_up']:,} of {k['leads_assigned']:,} assigned leads have a recorded follow-up.",
)
row1[2].metric(
    f"Followed up within {sla:g} h",
    common.fmt(k["share_within_sla"], "{:.0%}"),
    help=f"{k['within_sla']:,} of {k['leads_assigned']:,} assigned leads were followed up within "
    f"{sla:g} hours of assignment (leads never followed up count as missed).",
)
row1[3].metric(
    "Median speed to lead",
    common.fmt(k["median_hours_to_follow_up"], "{:,.1f} h"),
    help="Median hours from assignment to first follow-up, over the leads followed up.",
)
row2[0].metric("Never followed up", f"{k['never_followed_up']:,}", help="Assigned leads with no follow-up recorded.")
row2[1].metric(
    "Cost of leads never followed up",
    common.fmt(k["never_followed_up_cost_usd"], "${:,.0f}"),
    help="Sum over those leads of their campaign's cost per lead (campaign cost ÷ every lead the campaign produced).",
)
total = h.funnel_total.iloc[0]
row2[2].metric(
    "MQL → opportunity",
    common.fmt(total["mql_to_opportunity"], "{:.0%}"),
    help=f"{total['opportunities']:,} of {total['mqls']:,} MQLs reached an opportunity.",
)
row2[3].metric(
    "MQL → won",
    common.fmt(total["mql_to_won"], "{:.0%}"),
    help=f"{total['won']:,} of {total['mqls']:,} MQLs led to a won deal.",
)
if k["leads_not_assigned"]:
    st.caption(
        f"{k['leads_not_assigned']:,} leads created in the period were never assigned; "
        "they are not in the follow-up figures (there is no assignment to time from)."
    )

draw(charts.speed_to_lead, h.speed, float(sla))
st.caption(
    f"Bars: assigned leads by hours from assignment to first follow-up; green within the SLA "
    f"({sla:g} h, the dashed line; change it in the sidebar), orange over it, grey never followed up."
)

st.subheader("Leads never followed up")
if h.never.empty:
    st.info("Every assigned lead of the period was followed up.")
else:
    cost_text = common.fmt(k["never_followed_up_cost_usd"], "${:,.0f}")
    st.caption(
        f"{k['never_followed_up']:,} leads × their campaign's cost per lead = {cost_text}. "
        "Cost per lead = the campaign's cost ÷ every lead that campaign produced (all time). "
        + (
            f"{k['never_followed_up_without_cost']:,} of them have no campaign cost, so no figure."
            if k["never_followed_up_without_cost"]
            else ""
        )
    )
    common.table(
        h.never,
        "leads never followed up",
        column_config={
            **LEAD_COLUMNS,
            "lead_status": "Status",
            "campaign_cost_usd": st.column_config.NumberColumn("Campaign cost (USD)", format="$%,.0f"),
            "campaign_leads": st.column_config.NumberColumn("Campaign leads"),
            "cost_per_lead_usd": st.column_config.NumberColumn("Cost per lead (USD)", format="$%,.0f"),
        },
    )
    common.download(h.never, f"leads_never_followed_up_{f.date_from}_{f.date_to}.csv")

st.subheader("Conversion: MQL → accepted → opportunity → won")
st.caption(
    "Each stage counts the leads that reached it and every earlier stage. Accepted = sales accepted "
    "the lead. Opportunity = a deal on the lead's account created at or after the lead's creation; "
    "won = such a deal was won."
)
FUNNEL_COLUMNS = {
    # the leads that reached each stage, then the conversion rates between the stages
    **columns.numbers(
        {"leads": "Leads", "mqls": "MQLs", "accepted": "Accepted", "opportunities": "Opportunities", "won": "Won"}
    ),
    **columns.numbers(
        {
            "mql_to_accepted": "MQL → accepted",
            "accepted_to_opportunity": "Accepted → opportunity",
            "opportunity_to_won": "Opportunity → won",
            "mql_to_opportunity": "MQL → opportunity",
            "mql_to_won": "MQL → won",
        },
        "percent",
    ),
}
by_source, by_owner = st.tabs(["By source channel", "By lead owner"])
for tab, df, title, key, codes in (
    (by_source, h.funnel_by_source, "source channel", "source", True),
    (by_owner, h.funnel_by_owner, "lead owner", "owner", False),
):
    with tab:
        draw(charts.lead_funnel, df, title, codes=codes)
        common.grid(df, column_config={"group_key": title.capitalize(), **FUNNEL_COLUMNS})
        common.download(df, f"lead_funnel_by_{key}_{f.date_from}_{f.date_to}.csv")

with st.expander("Every lead of the period, with its follow-up time"):
    common.table(
        h.leads,
        "leads",
        column_config={
            **LEAD_COLUMNS,
            "first_follow_up_at": st.column_config.DatetimeColumn("First follow-up", format="YYYY-MM-DD HH:mm"),
            "assigned": None,
            "followed_up": "Followed up",
            "hours_to_follow_up": st.column_config.NumberColumn("Hours to follow-up", format="%.1f"),
            "within_sla": st.column_config.CheckboxColumn(f"Within {sla:g} h"),
        },
    )
    common.download(h.leads, f"lead_follow_up_{f.date_from}_{f.date_to}.csv")
