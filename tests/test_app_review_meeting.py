"""AppTests of the Review meeting page on the fixture: start a review of Q1 2026's won deals, record
both teams' verdicts on the first two deals, read the agreement summary (worked out by hand in
tests/test_reviews.py), reopen the review where it left off."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import deal_tiles, metrics
from helpers import run_page
from streamlit.testing.v1 import AppTest
from test_reviews import JUDGED_TYPE_SHARES, JUDGED_TYPES, NAME, VERDICTS, judge, start

from closedloop import db
from closedloop.meeting import reviews

ROOT = Path(__file__).resolve().parent.parent
PAGE = "views/review_meeting.py"


def page(**params: str) -> AppTest:
    return run_page(PAGE, **params)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def record(at: AppTest, deal_id: str, team: str, verdict: str, text: str | None, touch: str | None) -> AppTest:
    if touch:
        at.selectbox(key=f"rm_about_{team}_{deal_id}").select(touch)
    at.radio(key=f"rm_verdict_{team}_{deal_id}").set_value(verdict)
    if text:
        at.text_area(key=f"rm_text_{team}_{deal_id}").input(text)
    ok(at.button(key=f"rm_save_{team}_{deal_id}").click().run())
    assert at.success and at.success[0].value.startswith(f"Saved the {team} verdict “{verdict}”")
    return at


def test_the_whole_meeting_on_the_fixture(app_db):
    at = ok(page())
    assert at.title[0].value == "Review meeting"
    assert at.query_params["quarter"] == "2026Q1"
    # the agenda: all 8 closed deals by default, then won only
    assert at.subheader[0].value == "The agenda: 8 deals, largest first"
    ok(at.radio(key="rm_select").set_value("won").run())
    assert at.dataframe[0].value["deal_id"].tolist() == ["D04", "D01", "D07", "D02", "D08"]
    assert at.text_input(key="rm_name").placeholder == NAME
    assert at.query_params["deals"] == "won"

    ok(at.button(key="rm_start").click().run())
    assert at.query_params["review"] == NAME and at.query_params["step"] == "1"
    assert at.subheader[0].value == "Deal 1 of 5: Dynamo enterprise"
    assert metrics(at) == deal_tiles("$200,000", "Won", "15 Mar 2026", "104 days", Touches="2")
    assert at.get("progress")[0].proto.text.startswith("0 of 5 deals judged")
    credit = at.dataframe[0].value
    assert credit["touchpoint_id"].tolist() == ["T16", "T17"]
    assert credit["credit"].tolist() == pytest.approx([0.75, 0.25])

    # both teams judge D04 and D01 (the verdicts of tests/test_reviews.py)
    for deal_id, team, verdict, text, touch in VERDICTS[:3]:
        record(at, deal_id, team, verdict, text, touch)
    credit = at.dataframe[0].value
    assert credit["marketing_verdict"].tolist()[0] == "helpful"
    assert credit["sales_verdict"].tolist() == ["critical", "noise"]
    assert credit["sales_comment"].tolist()[0] == "The exec meeting closed it"

    ok(at.button(key="rm_next").click().run())
    assert at.query_params["step"] == "2"
    assert at.subheader[0].value == "Deal 2 of 5: Acme platform"
    for deal_id, team, verdict, text, touch in VERDICTS[3:]:
        record(at, deal_id, team, verdict, text, touch)
    assert any(
        c.value.startswith("On the deal as a whole — Marketing: no verdict yet · Sales: helpful (“Good deal overall”)")
        for c in at.caption
    )
    notes = at.dataframe[1].value
    assert len(notes) == 5 and notes["team"].tolist().count("sales") == 3
    assert at.get("progress")[0].proto.text.startswith("2 of 5 deals judged")

    # the summary after the last deal
    ok(at.selectbox(key="rm_step").select(6).run())
    assert at.query_params["step"] == "6"
    assert at.subheader[0].value == "Agreement summary"
    assert metrics(at) == {
        "Deals discussed": "2 of 5",
        "Touches both teams judged": "3",
        "Agreed": "1 of 3 (33%)",
        "Talking points": "2",
    }
    by_type = at.dataframe[0].value.set_index("touchpoint_type")
    assert by_type.index.tolist() == JUDGED_TYPES
    assert by_type["model_credit_share"].tolist() == pytest.approx(JUDGED_TYPE_SHARES)
    assert by_type.loc[
        "sales_meeting", ["marketing_critical", "marketing_verdicts", "sales_critical", "sales_verdicts"]
    ].tolist() == [0, 2, 2, 2]
    assert by_type.loc["webinar_attended", ["marketing_critical_share", "sales_critical_share"]].tolist() == [1, 1]
    talking = at.dataframe[1].value
    assert talking["touchpoint_id"].tolist() == ["T16", "T04"]
    assert talking[["marketing_verdict", "sales_verdict"]].values.tolist() == [
        ["helpful", "critical"],
        ["noise", "critical"],
    ]
    assert any(
        c.value == "Not discussed yet: Acme expansion, Borealis analytics, Granite team plan." for c in at.caption
    )

    # saved in the database with the review's id
    con = db.connect(app_db)
    try:
        assert con.execute("select count(*) from retro_notes where review_id = '2026q1-won-deals'").fetchone() == (8,)
    finally:
        con.close()


def test_a_reopened_review_resumes_at_the_first_deal_without_a_verdict(app_db):
    judge(app_db, start(app_db))
    at = ok(page(review=NAME))
    assert at.selectbox(key="rm_review").value == NAME
    assert at.subheader[0].value == "Deal 3 of 5: Acme expansion"
    assert at.query_params["step"] == "3"
    assert at.get("progress")[0].proto.text.startswith("2 of 5 deals judged")
    # Previous goes back to a judged deal with its notes
    ok(at.button(key="rm_prev").click().run())
    assert at.subheader[0].value == "Deal 2 of 5: Acme platform"
    # a link to a given step opens there
    at = ok(page(review=NAME, step="6"))
    assert at.subheader[0].value == "Agreement summary"
    assert metrics(at)["Agreed"] == "1 of 3 (33%)"


def test_a_new_review_from_the_list_and_back(app_db):
    start(app_db)
    at = ok(page())
    assert at.selectbox(key="rm_review").options == ["Start a new review", NAME]
    ok(at.selectbox(key="rm_review").select(NAME).run())
    assert at.subheader[0].value == "Deal 1 of 5: Dynamo enterprise"
    ok(at.selectbox(key="rm_review").select("").run())
    assert "review" not in at.query_params
    assert at.subheader[0].value.startswith("The agenda")


def test_a_taken_name_and_a_missing_verdict_are_explained(app_db):
    start(app_db)
    at = ok(page(deals="won"))
    assert at.text_input(key="rm_name").placeholder == "2026Q1 won deals (2)"
    at.text_input(key="rm_name").input(NAME)
    ok(at.button(key="rm_start").click().run())
    assert "already exists" in at.error[0].value
    at = ok(page(review=NAME))
    ok(at.button(key="rm_save_sales_D04").click().run())
    assert at.error[0].value == "Pick a verdict first: critical, helpful or noise."


def test_largest_and_hand_picked_agendas(app_db):
    at = ok(page(deals="largest", n="3"))
    assert at.dataframe[0].value["deal_id"].tolist() == ["D04", "D01", "D07"]
    ok(at.radio(key="rm_select").set_value("picked").run())
    assert at.info[0].value == "Tick at least one deal to put it on the agenda."
    ok(at.multiselect(key="rm_pick").select("D03").select("D06").run())
    assert at.dataframe[0].value["deal_id"].tolist() == ["D03", "D06"]
    ok(at.button(key="rm_start").click().run())
    assert at.query_params["review"] == "2026Q1 picked deals"
    assert at.subheader[0].value == "Deal 1 of 2: Cobalt pilot"
    # D06 has no touch in its window: the whole credit stays on "No touchpoint"
    ok(at.button(key="rm_next").click().run())
    assert at.subheader[0].value == "Deal 2 of 2: Fjord starter"
    assert at.info[0].value.startswith("No touchpoint belongs to this deal in its window")
    credit = at.dataframe[0].value
    assert credit["touchpoint_id"].isna().all() and credit["credit"].tolist() == [1]
    record(at, "D06", "sales", "noise", "Price, not marketing", None)
    assert any("Sales: noise (“Price, not marketing”)" in c.value for c in at.caption)


def test_an_empty_period_says_so(app_db):
    at = ok(page(**{"from": "2024-01-01", "to": "2024-03-31"}))
    assert "No deals closed in this period" in at.info[0].value
    assert not at.dataframe


def test_an_unknown_review_in_the_link_is_explained(app_db):
    at = ok(page(review="Nope"))
    assert "There is no review named “Nope”" in at.warning[0].value
    assert at.selectbox(key="rm_review").value == ""


def test_the_review_survives_a_restart_of_the_app(app_db):
    review_id = start(app_db)
    reviews.record_verdict(app_db, review_id, "D04", "sales", "critical", "Exec meeting", touchpoint_id="T16")
    at = ok(page(review=NAME, step="1"))
    assert at.dataframe[0].value["sales_verdict"].tolist()[0] == "critical"
    assert at.dataframe[1].value["text"].tolist() == ["Exec meeting"]


def test_the_pack_is_built_with_a_progress_bar_then_downloaded(app_db):
    review_id = start(app_db)
    judge(app_db, review_id)
    at = ok(page(review=NAME))
    assert not [b for b in at.get("download_button") if "Meeting pack" in b.proto.label]  # not built yet
    ok(at.button(key="rm_pack_build").click().run())
    [button] = [b for b in at.get("download_button") if b.proto.label == "Meeting pack (HTML)"]
    assert button.proto.label == "Meeting pack (HTML)"
    pack_name, fmt, data = at.session_state["rm_pack"]
    assert (pack_name, fmt) == (NAME, "html")
    text = data.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "5. Granite team plan" in text and "$402,000" in text
