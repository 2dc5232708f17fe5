"""Review meeting: choose the deals, step through them together, record both teams' verdicts on the
spot, see where the teams agree with each other and with the model, and send the pack."""

import shlex
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from closedloop import charts, filters
from closedloop.engine import attribution
from closedloop.meeting import notes, report, reviews
from ui import columns, common
from ui.charts import draw

# the columns of a deal on the agenda, and of its touches, that the meeting reads
AGENDA_DEAL = ["deal_name", "account_name", "owner", "outcome", "amount_usd", "closed_on", "days_to_close"]
TOUCHES = ["touch_number", "occurred_at", "team", "touchpoint_type", "campaign", "positions"]

st.title("Review meeting")
st.caption(
    "For the joint sales + marketing review: choose the period's deals, go through them one by one, "
    "record what each team says mattered, and leave with the agreement summary and a pack to send."
)

NEW = ""
VERDICT_LABELS = {"critical": "Critical — it made the deal", "helpful": "Helpful", "noise": "Noise"}

saved = common.call(reviews.list_reviews)
names = saved["name"].tolist()

# a review just created (or a ?review= link) opens before the picker is drawn
if "rm_open_next" in st.session_state:
    st.session_state["rm_review"] = st.session_state.pop("rm_open_next")
url_review = st.query_params.get("review")
if "rm_review" not in st.session_state:
    st.session_state["rm_review"] = url_review if url_review in names else NEW
    if url_review and url_review not in names:
        st.warning(
            f"There is no review named “{common.md(url_review)}” in this database: start a new one, or open a "
            "saved one below."
        )
if st.session_state["rm_review"] not in (NEW, *names):
    st.session_state["rm_review"] = NEW
picked = st.selectbox(
    "Review",
    [NEW, *names],
    key="rm_review",
    format_func=lambda n: "Start a new review" if n == NEW else n,
    help="A saved review reopens where you left off: at the first deal no team has judged yet.",
)
if "rm_flash" in st.session_state:
    st.success(st.session_state.pop("rm_flash"), icon=":material/check_circle:")


def model_text(model: str) -> str:
    return f"{attribution.MODELS[model].label} — {attribution.describe(model)}"


# --- a new review: the agenda ---------------------------------------------------------------------------
if picked == NEW:
    st.query_params.pop("review", None)
    st.query_params.pop("step", None)
    options = common.call(filters.filter_options)
    f = common.filter_bar(options)
    st.caption(common.period_caption(f))
    common.from_url("rm_select", "deals", "all", allowed=reviews.SELECTIONS)
    common.from_url("rm_n", "n", reviews.DEFAULT_LARGEST_N, cast=int, low=1, high=500)
    common.from_url("rm_model", "model", reviews.DEFAULT_MODEL, allowed=reviews.REVIEW_MODELS)
    selection = common.choose("Deals to review", reviews.SELECTIONS, "rm_select")
    candidates = common.call(reviews.candidate_deals, f=f)
    if candidates.empty:
        common.to_url(deals=selection, model=st.session_state["rm_model"])
        st.info(
            "No deals closed in this period with these filters, so there is nothing to review. "
            "Pick another quarter or clear a filter."
        )
        st.stop()
    largest_n, deal_ids = None, None
    if selection == "largest":
        largest_n = int(
            st.number_input("How many deals (largest first)", min_value=1, max_value=500, step=1, key="rm_n")
        )
    if selection == "picked":
        # candidates are largest first: a list of 100k deals would cost seconds a rerun and help nobody
        listed = candidates.head(common.TABLE_ROWS)
        labels = {
            r.deal_id: f"{r.deal_name} — {r.outcome}, {common.fmt(r.amount_usd, '${:,.0f}')}, "
            f"closed {r.closed_on:%d %b %Y}"
            for r in listed.itertuples()
        }
        deal_ids = st.multiselect(
            "Deals",
            list(labels),
            key="rm_pick",
            format_func=labels.get,
            placeholder="Tick the deals to review",
            help=None
            if len(listed) == len(candidates)
            else f"The {len(listed):,} largest of the period's {len(candidates):,} closed deals; narrow the filters "
            "(segment, region, owner, period) to reach the others.",
        )
    model = st.selectbox(
        "Credit model for the receipts",
        list(reviews.REVIEW_MODELS),
        key="rm_model",
        format_func=model_text,
        help="Each deal's credit receipt and the agreement summary use this model. Markov and "
        "Shapley credit channels across deals, so they have no per-deal receipt.",
    )
    common.to_url(deals=selection, n=largest_n, model=model)
    suggestion = reviews.suggest_name(f, selection, largest_n, taken=names)
    name = st.text_input(
        "Name of the review",
        key="rm_name",
        max_chars=reviews.MAX_NAME_CHARS,
        placeholder=suggestion,
        help=f"Leave blank for “{suggestion}”.",
    )
    if selection == "picked" and not deal_ids:
        st.info("Tick at least one deal to put it on the agenda.")
        st.stop()
    # picked from the cached candidates: agenda_preview would query the period's deals again
    agenda = reviews.select_deals(candidates, selection, largest_n, deal_ids)
    st.subheader(f"The agenda: {len(agenda):,} deal{'s' if len(agenda) != 1 else ''}, largest first")
    common.table(
        agenda,
        "deals of the agenda",
        column_order=["position", *AGENDA_DEAL, "marketing_touches", "sales_touches"],
        column_config={
            "position": "#",
            **columns.of(columns.DEAL, AGENDA_DEAL),
            "marketing_touches": "Marketing touches",
            "sales_touches": "Sales touches",
        },
    )
    common.download(agenda, f"review_agenda_{f.date_from}_{f.date_to}.csv")
    if st.button("Start the review", type="primary", icon=":material/play_arrow:", key="rm_start"):
        chosen_name = (name or "").strip() or suggestion
        _, problem = common.attempt(
            reviews.create_review,
            name=chosen_name,
            filters=f,
            selection=selection,
            model=model,
            largest_n=largest_n,
            deal_ids=deal_ids,
        )
        if problem:
            st.error(f"The review was not saved: {common.md(problem.splitlines()[0])}")
        else:
            st.session_state["rm_open_next"] = chosen_name
            st.session_state["rm_flash"] = (
                f"Saved the review “{common.md(chosen_name)}” with {len(agenda)} deals. "
                "Its verdicts are saved as you go; reopen it any time from the list."
            )
            st.query_params.from_dict({"review": chosen_name})
            st.rerun()
    if names:
        with st.expander(f"Saved reviews ({len(names)})"):
            common.grid(
                saved,
                column_order=[
                    "name",
                    "period_from",
                    "period_to",
                    "selection",
                    "model",
                    "deals",
                    "deals_with_verdict",
                    "notes",
                    "created_at",
                    "last_note_at",
                ],
                column_config={
                    "name": "Review",
                    "period_from": st.column_config.DateColumn("From"),
                    "period_to": st.column_config.DateColumn("To"),
                    "selection": "Deals",
                    "model": "Model",
                    "deals": "Deals on the agenda",
                    "deals_with_verdict": "Deals with a verdict",
                    "notes": "Notes",
                    "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
                    "last_note_at": st.column_config.DatetimeColumn("Last note", format="YYYY-MM-DD HH:mm"),
                },
            )
    st.stop()

# --- an open review ---------------------------------------------------------------------------------------
info = common.call(reviews.open_review, name=picked)
if info is None:
    st.warning(f"The review “{common.md(picked)}” is no longer in this database.")
    st.stop()
agenda = common.call(reviews.agenda, review_id=info.review_id)
total = len(agenda)
deal_ids = agenda["deal_id"].tolist()
f = info.filters


def in_review(question: Callable[..., Any], **kwargs: Any) -> Any:
    """One of the review's questions, asked with its credit model and the touch matching it was opened with."""
    return common.call(
        question, review_id=info.review_id, model=info.model, lookback_days=f.lookback_days, scope=f.scope, **kwargs
    )


narrowed = ", ".join(f"{k} {common.md(getattr(f, k))}" for k in ("segment", "region", "owner") if getattr(f, k))
st.caption(
    f"Deals closed {f.date_from:%d %b %Y} – {f.date_to:%d %b %Y}"
    + (f" · {narrowed}" if narrowed else "")
    + f" · {info.selection_label.lower()} · credit model {model_text(info.model)} · touches up to "
    f"{f.lookback_days} days before creation" + (", deal contacts only" if f.scope == "contact_roles" else "")
)

# where the stepper stands: a link's step on first load, else the first deal without a verdict
if st.session_state.get("rm_step_for") != info.review_id:
    start = reviews.resume_position(agenda)
    if url_review == info.name:
        start = common.url_value("step", start, cast=int, low=1, high=total + 1)
    st.session_state["rm_step"] = start
    st.session_state["rm_step_for"] = info.review_id
if st.session_state["rm_step"] not in range(1, total + 2):
    st.session_state["rm_step"] = 1


def go(step: int) -> None:
    st.session_state["rm_step"] = step


def step_label(i: int) -> str:
    if i == total + 1:
        return "Agreement summary"
    r = agenda.iloc[i - 1]
    mark = " ✓" if r.has_verdict else ""
    return f"Deal {i} of {total}: {r.deal_name} ({r.outcome}, {common.fmt(r.amount_usd, '${:,.0f}')}){mark}"


done = int(agenda["has_verdict"].sum())
st.progress(
    done / total if total else 1.0,
    text=f"{done} of {total} deal{'s' if total != 1 else ''} judged (✓ = at least one verdict)",
)
prev_col, pick_col, next_col = st.columns([1, 4, 1], vertical_alignment="bottom")
step = st.session_state["rm_step"]
prev_col.button(
    "Previous",
    icon=":material/arrow_back:",
    key="rm_prev",
    on_click=go,
    args=(step - 1,),
    disabled=step <= 1,
    width="stretch",
)
pick_col.selectbox("Go to", list(range(1, total + 2)), key="rm_step", format_func=step_label)
next_col.button(
    "Next" if step < total else "Summary",
    icon=":material/arrow_forward:",
    key="rm_next",
    on_click=go,
    args=(step + 1,),
    disabled=step > total,
    width="stretch",
    type="primary",
)
st.query_params.from_dict({"review": info.name, "step": str(step)})

# --- the meeting pack (sidebar) ---------------------------------------------------------------------------
PACK_MIME = {"html": "text/html", "pdf": "application/pdf"}


def _pack_progress(bar, done: int, total: int, what: str) -> None:
    """Gathering the deal pages fills the first half of the bar, drawing them the second."""
    half = 0.5 if what.startswith("Drawing") else 0.0
    bar.progress(min(1.0, half + 0.5 * done / max(total, 1)), text=f"{what}: {done:,} of {total:,}")


with st.sidebar:
    st.header("Meeting pack")
    st.caption(
        "KPIs, the attribution and lift charts, the agenda, a page per deal (timeline, verdicts and "
        f"notes; the first {report.DEFAULT_MAX_DEAL_PAGES} deals of a longer agenda) and the agreement "
        "summary."
    )
    stem = report.file_stem(info.name)
    pack_fmt = st.segmented_control(
        "Format", list(PACK_MIME), key="rm_pack_fmt", default="html", format_func=str.upper, required=True
    )
    if st.button("Build the meeting pack", key="rm_pack_build", icon=":material/description:", width="stretch"):
        bar = st.progress(0.0, text="Gathering the agenda and the figures…")
        st.session_state["rm_pack"] = (
            info.name,
            pack_fmt,
            report.pack_bytes(common.db_path(), info.name, pack_fmt, partial(_pack_progress, bar)),
        )
        bar.empty()
    built = st.session_state.get("rm_pack")
    if built and built[:2] == (info.name, pack_fmt):
        st.download_button(
            f"Meeting pack ({pack_fmt.upper()})",
            built[2],
            file_name=f"{stem}.{pack_fmt}",
            mime=PACK_MIME[pack_fmt],
            icon=":material/download:",
            key=f"rm_pack_{pack_fmt}",
            on_click="ignore",
            width="stretch",
            type="primary",
        )
        st.caption("Built with the verdicts saved until then: build it again after new ones.")
    all_notes = common.call(reviews.review_notes, review_id=info.review_id, deal_ids=deal_ids)
    common.download(all_notes, f"{stem}-notes.csv", label=f"Notes and verdicts (CSV, {len(all_notes)})")
    st.caption("Or from the command line:")
    st.code(
        f"python -m closedloop report --review {shlex.quote(info.name)} --format pdf --out pack.pdf",
        language="bash",
        wrap_lines=True,
    )

# --- one deal ---------------------------------------------------------------------------------------------
if step <= total:
    row = agenda.iloc[step - 1]
    deal_id = row.deal_id
    s = in_review(reviews.deal_step, deal_id=deal_id)
    st.subheader(f"Deal {step} of {total}: {common.md(row.deal_name)}")
    if s is None:
        st.info(
            f"Deal {common.md(deal_id)} is no longer in the database (a re-import removed it). Move on to the next one."
        )
        st.stop()
    d = s.deal
    st.caption(
        f"{common.md(d['account_name'] or 'No account')} · owner {common.md(d['owner'] or '–')} · "
        f"deal ID {common.md(deal_id)}"
    )
    n_touches = len(s.touches)
    n_mkt = int((s.touches["team"] == "marketing").sum())
    cols = st.columns(5)
    cols[0].metric("Amount", common.fmt(d["amount_usd"], "${:,.0f}"))
    cols[1].metric("Outcome", d["outcome"].capitalize())
    cols[2].metric("Closed", common.fmt(d["closed_on"], "{:%d %b %Y}"))
    cols[3].metric("Days to close", common.fmt(d["days_to_close"], "{:,} days"))
    cols[4].metric("Touches", f"{n_touches}", help=f"{n_mkt} marketing, {n_touches - n_mkt} sales")
    if n_touches:
        st.caption(
            f"{n_touches} touch{'es' if n_touches != 1 else ''} ({n_mkt} marketing, "
            f"{n_touches - n_mkt} sales). Hover a touch for its campaign, asset and contact; ringed ✎ "
            "touches carry a note."
        )
    else:
        st.info(
            "No touchpoint belongs to this deal in its window: the timeline shows its milestones only, and "
            "the whole credit stays on “No touchpoint”. The teams can still judge the deal as a whole."
        )
    draw(charts.deal_timeline, s.touches, s.markers, f"{d['deal_name']}: touches and milestones")
    draw(charts.review_credit, s.credit, s.model_label)

    st.markdown("**Touches and the teams' current verdicts**")
    common.grid(
        s.credit,
        column_order=[*TOUCHES, "credit", "marketing_verdict", "sales_verdict"],
        column_config={
            **columns.of(columns.TOUCH, TOUCHES),
            "credit": st.column_config.NumberColumn(f"Credit ({s.model_label})", format="percent"),
            "marketing_verdict": "Marketing says",
            "sales_verdict": "Sales says",
        },
    )
    common.download(s.credit, f"{stem}-{deal_id}-touches.csv")
    whole = " · ".join(
        f"{team.capitalize()}: "
        + (
            f"{s.deal_verdicts[team][0]}"
            + (f" (“{common.md(s.deal_verdicts[team][1])}”)" if s.deal_verdicts[team][1] else "")
            if team in s.deal_verdicts
            else "no verdict yet"
        )
        for team in notes.TEAMS
    )
    st.caption(f"On the deal as a whole — {whole}")

    st.markdown(
        "**Record the verdicts** — saved at once; a team's latest verdict on a touch replaces its "
        "earlier one in the summary, and every note stays in the record."
    )
    touch_labels = {
        r.touchpoint_id: f"{int(r.touch_number)}. {r.occurred_at:%d %b %Y} · {charts.label(r.touchpoint_type)}"
        + (f" · {r.campaign}" if isinstance(r.campaign, str) else "")
        + (f" ({r.positions})" if r.positions else "")
        for r in s.credit.dropna(subset=["touchpoint_id"]).itertuples()
    }
    for team, col in zip(notes.TEAMS, st.columns(2), strict=True):
        with col, st.form(f"rm_form_{team}_{deal_id}", clear_on_submit=True, border=True):
            st.markdown(f"**{'Marketing' if team == 'marketing' else 'Sales'}**")
            about = st.selectbox(
                "About",
                [None, *touch_labels],
                key=f"rm_about_{team}_{deal_id}",
                format_func=lambda t: "The deal as a whole" if t is None else touch_labels[t],
            )
            verdict = common.choose("Verdict", VERDICT_LABELS, f"rm_verdict_{team}_{deal_id}", index=None)
            text = st.text_area(
                "Comment",
                key=f"rm_text_{team}_{deal_id}",
                max_chars=notes.MAX_TEXT_CHARS,
                height=80,
                placeholder="Why? What should we do more or less of?",
            )
            if st.form_submit_button(
                f"Save the {team} verdict", type="primary", icon=":material/edit_note:", key=f"rm_save_{team}_{deal_id}"
            ):
                if verdict is None:
                    st.error("Pick a verdict first: critical, helpful or noise.")
                else:
                    what = "the deal" if about is None else touch_labels[about]
                    common.save_and_flash(
                        reviews.record_verdict,
                        f"rm_form_{team}_{deal_id}",
                        "rm_flash",
                        f"Saved the {team} verdict “{verdict}” on {common.md(what)}.",
                        review_id=info.review_id,
                        deal_id=deal_id,
                        team=team,
                        verdict=verdict,
                        text=text,
                        touchpoint_id=about,
                    )

    st.markdown(f"**Notes on this deal in this review** ({len(s.notes)})")
    if s.notes.empty:
        st.info(
            "No verdict on this deal yet in this review."
            + (
                f" ({s.other_notes} note{'s' if s.other_notes != 1 else ''} on it from outside the review: "
                "see the deal explorer.)"
                if s.other_notes
                else ""
            )
        )
    else:
        common.grid(
            s.notes,
            column_order=[
                "created_at",
                "team",
                "verdict",
                "subject",
                "touchpoint_id",
                "touchpoint_type",
                "text",
                "is_current",
            ],
            column_config={
                **columns.NOTE,
                "subject": "About",
                "touchpoint_id": "Touch",
                "is_current": st.column_config.CheckboxColumn("Current", help="The team's latest verdict on it"),
            },
        )
    link = {"deal": deal_id, "lookback": str(f.lookback_days), "scope": f.scope}
    try:
        st.page_link(
            "views/deal_explorer.py",
            label="Open this deal in the deal explorer",
            icon=":material/timeline:",
            query_params=link,
        )
    except StreamlitPageNotFoundError:  # the page runs on its own, without the router (AppTest)
        st.markdown(f"[Open this deal in the deal explorer](deal?{urlencode(link)})")
    st.stop()

# --- the agreement summary -------------------------------------------------------------------------------
st.subheader("Agreement summary")
a = in_review(reviews.agreement, deal_ids=deal_ids)
common.stop_if(
    a.empty, "No verdicts yet: step through the deals and record what each team says; the summary fills in as you go."
)
rate = a.agreement_rate
cols = st.columns(4)
cols[0].metric(
    "Deals discussed", f"{a.deals_discussed} of {a.deals_total}", help="Deals of the agenda with at least one verdict."
)
cols[1].metric("Touches both teams judged", f"{a.touches_judged_by_both}")
cols[2].metric(
    "Agreed",
    f"{a.touches_agreed} of {a.touches_judged_by_both}" + (f" ({rate:.0%})" if rate is not None else ""),
    help="Touches on which marketing's and sales' current verdicts are the same.",
)
cols[3].metric(
    "Talking points", f"{len(a.disagreements)}", help="Touches or deals on which the teams' current verdicts differ."
)
waiting = agenda.loc[~agenda["has_verdict"], "deal_name"].tolist()
if waiting:
    st.caption(f"Not discussed yet: {', '.join(common.md(w) for w in waiting)}.")
draw(charts.review_agreement, a.by_type, a.model_label)
st.caption(
    f"For each touchpoint type of the discussed deals: the share of each team's verdicts on its touches "
    f"that called it critical, against the share of those deals' credit {a.model_label} gave it (each "
    "deal's credit adds up to 1). A type the teams call critical but the model credits little — or the "
    "other way round — is worth a word."
)
common.grid(
    a.by_type,
    column_order=[
        "touchpoint_type",
        "touches",
        "marketing_verdicts",
        "marketing_critical_share",
        "sales_verdicts",
        "sales_critical_share",
        "model_credit_share",
        "touches_judged_by_both",
        "touches_agreed",
    ],
    column_config={
        "touchpoint_type": "Touchpoint type",
        "touches": "Touches",
        "marketing_verdicts": st.column_config.NumberColumn(
            "Marketing verdicts", help="Touches of the type marketing judged"
        ),
        "marketing_critical_share": st.column_config.NumberColumn(
            "Marketing: critical", format="percent", help="Share of marketing's verdicts that said critical"
        ),
        "sales_verdicts": st.column_config.NumberColumn("Sales verdicts", help="Touches of the type sales judged"),
        "sales_critical_share": st.column_config.NumberColumn(
            "Sales: critical", format="percent", help="Share of sales' verdicts that said critical"
        ),
        "model_credit_share": st.column_config.NumberColumn(
            f"{a.model_label} credit", format="percent", help="Share of the discussed deals' credit"
        ),
        "touches_judged_by_both": "Judged by both",
        "touches_agreed": "Agreed",
    },
)
common.download(a.by_type, f"{stem}-agreement.csv")

st.subheader("Talking points: where marketing and sales disagree")
if a.disagreements.empty:
    st.success("On every touch both teams judged, they agreed.", icon=":material/handshake:")
else:
    common.grid(
        a.disagreements,
        column_order=[
            "position",
            "deal_name",
            "touchpoint_id",
            "touchpoint_type",
            "marketing_verdict",
            "marketing_comment",
            "sales_verdict",
            "sales_comment",
            "opposite",
        ],
        column_config={
            "position": st.column_config.NumberColumn("#", width="small"),
            "deal_name": "Deal",
            "touchpoint_id": st.column_config.TextColumn("Touch", width="small", help="Blank: the deal as a whole"),
            "touchpoint_type": "Touchpoint type",
            "marketing_verdict": st.column_config.TextColumn("Marketing says", width="small"),
            "marketing_comment": "Marketing's comment",
            "sales_verdict": st.column_config.TextColumn("Sales says", width="small"),
            "sales_comment": "Sales' comment",
            "opposite": st.column_config.CheckboxColumn(
                "Opposite", width="small", help="One team said critical, the other noise"
            ),
        },
    )
    common.download(a.disagreements, f"{stem}-talking-points.csv")
