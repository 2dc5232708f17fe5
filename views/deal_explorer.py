"""Deal explorer: one deal's whole history, its credit receipt and what each team says mattered."""

import streamlit as st

from closedloop import charts
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, MAX_LOOKBACK_DAYS, SCOPES
from closedloop.meeting import notes
from closedloop.pages import deal_explorer as deals
from ui import columns, common
from ui.charts import draw

st.title("Deal explorer")
st.caption(
    "For the sales leader and the review meeting: every marketing and sales touch of one deal, "
    "its milestones, how each attribution model credits its touches, and the teams' verdicts."
)

qp = st.query_params


def _search(text: str) -> str:
    if len(text) > 200:
        raise ValueError("a search of at most 200 characters")
    return text


# --- which touches belong to the deal (sidebar, in the URL) ---------------------------------------
with st.sidebar:
    st.header("Touchpoint matching")
    common.from_url("dx_lookback", "lookback", DEFAULT_LOOKBACK_DAYS, cast=int, low=0, high=MAX_LOOKBACK_DAYS)
    common.from_url("dx_scope", "scope", "account", allowed=SCOPES)
    lookback, scope = common.touch_matching("dx")
    common.from_url("dx_half_life", "half_life", 7.0, cast=float, low=0.5, high=365.0)
    half_life = float(
        st.number_input(
            "Time-decay half-life (days)",
            min_value=0.5,
            max_value=365.0,
            step=1.0,
            key="dx_half_life",
            help="Used by the time-decay model of the credit receipt.",
        )
    )

# --- find a deal ----------------------------------------------------------------------------------
common.from_url("dx_q", "q", "", cast=_search)
search = st.text_input(
    "Find a deal",
    key="dx_q",
    placeholder="Part of a deal name, an account or an owner",
    help="Matches anywhere in the deal's name, its account's name, its owner or its ID.",
)
matches = common.call(deals.find_deals, search=search)
labels = {
    row.deal_id: f"{row.deal_name} — {row.account_name or 'no account'} · {row.owner or 'no owner'} · "
    + (f"{row.outcome}, closed {row.closed_on:%d %b %Y}" if row.outcome != "open" else "open")
    for row in matches.itertuples()
}
options = list(labels)
common._seed("dx_deal", qp.get("deal") or (options[0] if options else None))
chosen = st.session_state["dx_deal"]
searched_again = st.session_state.get("dx_q_prev", search) != search
st.session_state["dx_q_prev"] = search
if chosen and chosen not in labels:
    header = None if searched_again else common.call(deals.deal_header, deal_id=chosen)
    if searched_again:
        # a new search picks its most recent match
        st.session_state["dx_deal"] = options[0] if options else None
    elif header:
        # a deal from a link that the search box does not match: keep it selectable
        labels = {chosen: f"{header['deal_name']} — {header['account_name']} · {header['owner']}", **labels}
        options = list(labels)
    else:
        st.warning(f"There is no deal '{common.md(chosen)}' in this database; showing the most recent match instead.")
        st.session_state["dx_deal"] = options[0] if options else None
if not options:
    st.query_params.from_dict({"q": search} if search else {})
    st.info(
        f"No deal matches “{common.md(search)}”. Try part of a deal name, an account or an owner."
        if search
        else "This database has no deals yet. Import your CRM data or build the sample."
    )
    st.stop()

found = f"{len(matches):,} match{'es' if len(matches) != 1 else ''}"
deal_id = st.selectbox(f"Deals ({found}, most recent first)", options, key="dx_deal", format_func=labels.get)
url = {"deal": deal_id}
if search:
    url["q"] = search
if lookback != DEFAULT_LOOKBACK_DAYS:
    url["lookback"] = str(lookback)
if scope != "account":
    url["scope"] = scope
if half_life != 7.0:
    url["half_life"] = f"{half_life:g}"
st.query_params.from_dict(url)

v = common.call(deals.deal_view, deal_id=deal_id, lookback_days=lookback, scope=scope, half_life_days=half_life)
if v is None:
    st.info(f"Deal {common.md(deal_id)} is no longer in the database.")
    st.stop()
d = v.deal

# --- header ---------------------------------------------------------------------------------------
st.subheader(common.md(d["deal_name"] or d["deal_id"]))
st.caption(
    f"{common.md(d['account_name'] or 'No account')} · owner {common.md(d['owner'] or '–')} · "
    f"stage {common.md(d['stage'] or '–')} · deal ID {common.md(d['deal_id'])}"
)
cols = st.columns(5)
cols[0].metric("Amount", common.fmt(d["amount_usd"], "${:,.0f}"))
cols[1].metric("Outcome", d["outcome"].capitalize())
cols[2].metric("Created", common.fmt(d["created_on"], "{:%d %b %Y}"))
cols[3].metric("Closed", common.fmt(d["closed_on"], "{:%d %b %Y}") if d["outcome"] != "open" else "Open")
cols[4].metric(
    "Days to close",
    "unknown" if d["dates_unknown"] else common.fmt(d["days_to_close"], "{:,} days"),
    help="From the deal's creation to its close.",
)
if d["dates_unknown"]:
    st.caption(
        "This deal was imported without dates: its created and closed dates are the import's stand-in "
        "(the mapping's `as_of` date), so its days to close are unknown."
    )

# --- timeline -------------------------------------------------------------------------------------
window = (
    f"touches from {lookback} days before the deal was created up to its "
    + ("close" if d["outcome"] != "open" else "last activity")
    + (", deal contacts only" if scope == "contact_roles" else "")
)
n = len(v.touches)
if n:
    st.caption(
        f"{n} touch{'es' if n != 1 else ''} ({v.marketing_touches} marketing, "
        f"{v.sales_touches} sales) · {window}. Hover a touch for its campaign, asset and contact; "
        "ringed ✎ touches carry a retrospective note."
    )
else:
    st.info(
        f"No touchpoint belongs to this deal ({window}). The timeline shows its milestones only; "
        "try a longer lookback or every touch of the account."
    )
if n or not v.markers.empty:
    draw(charts.deal_timeline, v.touches, v.markers, f"{d['deal_name']}: touches and milestones")

# --- retrospective notes --------------------------------------------------------------------------
st.subheader("Retrospective notes")
st.caption(
    "What mattered? Each team records its verdict on a touch or on the deal as a whole. "
    "Notes are saved in the database and kept across restarts."
)
if "dx_flash" in st.session_state:
    st.success(st.session_state.pop("dx_flash"), icon=":material/check_circle:")

touch_labels = {
    row.touchpoint_id: f"{row.touchpoint_id} · {row.occurred_at:%d %b %Y} · "
    + charts.label(row.touchpoint_type)
    + (f" · {row.campaign_name}" if isinstance(row.campaign_name, str) else "")
    for row in v.touches.itertuples()
}
form_col, table_col = st.columns([2, 3])
with form_col, st.form("dx_note", clear_on_submit=True, border=True):
    about = st.selectbox(
        "About",
        [None, *touch_labels],
        key="dx_note_about",
        format_func=lambda t: "The deal as a whole" if t is None else touch_labels[t],
    )
    team = st.radio("Team", list(notes.TEAMS), key="dx_note_team", horizontal=True, format_func=str.capitalize)
    verdict = st.radio(
        "Verdict",
        list(notes.VERDICTS),
        key="dx_note_verdict",
        horizontal=True,
        format_func={
            "critical": "Critical — it made the deal",
            "helpful": "Helpful",
            "noise": "Noise — it didn't matter",
        }.get,
    )
    text = st.text_area(
        "Comment",
        key="dx_note_text",
        max_chars=notes.MAX_TEXT_CHARS,
        placeholder="Why? What should we do more or less of?",
    )
    if st.form_submit_button("Save note", type="primary", icon=":material/edit_note:"):
        common.save_and_flash(
            notes.add_note,
            f"dx_note_{deal_id}",
            "dx_flash",
            lambda note_id: (
                f"Saved the {team} team's verdict “{verdict}” on "
                f"{'the deal' if about is None else common.md(about)} (note {note_id})."
            ),
            deal_id=deal_id,
            team=team,
            verdict=verdict,
            text=text,
            touchpoint_id=about,
        )
with table_col:
    if v.notes.empty:
        st.info("No notes on this deal yet.")
    else:
        common.grid(
            v.notes,
            column_order=[
                "team",
                "verdict",
                "text",
                "touchpoint_id",
                "touch_on",
                "touchpoint_type",
                "created_at",
                "note_id",
            ],
            column_config={
                **columns.NOTE,
                "touchpoint_id": "Touch (blank = whole deal)",
                "touch_on": st.column_config.DateColumn("Touch date"),
                "note_id": "Note ID",
            },
        )
        common.download(v.notes, f"retro_notes_{deal_id}.csv")

# --- credit receipt -------------------------------------------------------------------------------
st.subheader("Credit receipt")
st.caption(
    "How each rule-based attribution model splits this deal's credit over its touches (each column "
    "adds up to 100%). Positions: FT first touch, LC lead-creation touch, OC opportunity-creation "
    "touch, CL closing touch. Markov and Shapley credit channels across all deals, so they have no "
    "per-deal receipt."
)
if n:
    draw(charts.credit_receipt, v.receipt, v.receipt_models)
else:
    st.info("With no touch, every model leaves the whole credit on “No touchpoint”, so totals still add up to the CRM.")
model_columns = {
    row.model: st.column_config.NumberColumn(row.label, help=row.weights, format="percent")
    for row in v.receipt_models.itertuples()
}
common.grid(
    v.receipt,
    column_order=[*columns.TOUCH, *model_columns],
    column_config={**columns.TOUCH, **model_columns},
)
common.download(v.receipt, f"credit_receipt_{deal_id}.csv")
