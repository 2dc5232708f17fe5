"""Review meetings on the hand-built fixture (figures in tests/fixture.py).

Q1 2026's won deals, largest first: D04 (200,000), D01 (100,000), D07 (50,000),
D02 (40,000), D08 (12,000). Under W-shaped: D04's touches T16 (FT; no LC or OC
touch in its window, CL has no weight) 30/(30+10) = 75% and T17 (middle) 25%;
D01's T01 FT, T02 LC, T03 OC 30% each, T04 and T05 5% each.

The verdicts of `judge` (the meeting of the AppTest too):

| deal | touch | type | marketing | sales |
|------|-------|------|-----------|-------|
| D04  | T16   | sales_meeting   | helpful  | critical ("The exec meeting closed it") |
| D04  | T17   | linkedin_inmail | –        | noise    |
| D01  | T03   | webinar_attended| critical ("Webinar brought the VP in") | critical |
| D01  | T04   | sales_meeting   | noise    | critical |
| D01  | deal  |                 | –        | helpful ("Good deal overall") |

Discussed deals: D04 and D01 (2). Credit share per type = credit / 2 deals:
sales_meeting (0.75 + 0.05) / 2 = 40%, ad_click, ebook_download, webinar_attended
15% each, linkedin_inmail 12.5%, sales_call 2.5% (sum 100%). Sales meeting:
marketing 0 of 2 critical, sales 2 of 2; webinar: 1 of 1 each. Touches both teams
judged: T16, T03, T04 — agreed on T03 only (1 of 3). Talking points: T16 (helpful
vs critical) and T04 (noise vs critical, opposite).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from closedloop import charts, db
from closedloop.filters import Filters, quarter_bounds
from closedloop.meeting import reviews

Q1 = Filters(*quarter_bounds("2026Q1"))
NAME = "2026Q1 won deals"

VERDICTS = [
    ("D04", "marketing", "helpful", None, "T16"),
    ("D04", "sales", "critical", "The exec meeting closed it", "T16"),
    ("D04", "sales", "noise", None, "T17"),
    ("D01", "marketing", "critical", "Webinar brought the VP in", "T03"),
    ("D01", "sales", "critical", None, "T03"),
    ("D01", "marketing", "noise", None, "T04"),
    ("D01", "sales", "critical", None, "T04"),
    ("D01", "sales", "helpful", "Good deal overall", None),
]
# The agreement summary's rows after `judge`: the touchpoint types of the two deals discussed
# (D04, D01), most W-shaped credit first, and each type's share of that credit.
JUDGED_TYPES = ["sales_meeting", "ad_click", "ebook_download", "webinar_attended", "linkedin_inmail", "sales_call"]
JUDGED_TYPE_SHARES = [0.40, 0.15, 0.15, 0.15, 0.125, 0.025]


@contextmanager
def read(path: Path):
    con = db.connect(path)
    try:
        yield con
    finally:
        con.close()


def start(path: Path, **kwargs) -> str:
    return reviews.create_review(path, kwargs.pop("name", NAME), Q1, kwargs.pop("selection", "won"), **kwargs)


def judge(path: Path, review_id: str) -> None:
    for deal_id, team, verdict, text, touch in VERDICTS:
        reviews.record_verdict(path, review_id, deal_id, team, verdict, text, touchpoint_id=touch)


def ids(df) -> list[str]:
    return df["deal_id"].tolist()


# --- the agenda -----------------------------------------------------------------------------------


def test_a_new_review_saves_its_agenda_largest_first(fixture_db):
    review_id = start(fixture_db)
    assert review_id == "2026q1-won-deals"
    with read(fixture_db) as con:
        agenda = db.run(con, "review_agenda", review_id=review_id)
        listed = db.run(con, "reviews_list")
    assert ids(agenda) == ["D04", "D01", "D07", "D02", "D08"]
    assert agenda["position"].tolist() == [1, 2, 3, 4, 5]
    assert agenda["amount_usd"].tolist() == [200000, 100000, 50000, 40000, 12000]
    assert not agenda["has_verdict"].any()
    row = listed.iloc[0]
    assert (row["name"], row["selection"], row["model"], row["deals"], row["notes"]) == (NAME, "won", "w_shaped", 5, 0)
    assert (str(row["period_from"])[:10], str(row["period_to"])[:10]) == ("2026-01-01", "2026-03-31")
    assert (row["lookback_days"], row["scope"]) == (180, "account")


@pytest.mark.parametrize(
    ("selection", "n", "picked", "expected"),
    [
        ("all", None, None, ["D04", "D01", "D07", "D02", "D05", "D08", "D03", "D06"]),
        ("won", None, None, ["D04", "D01", "D07", "D02", "D08"]),
        ("lost", None, None, ["D05", "D03", "D06"]),
        ("largest", 3, None, ["D04", "D01", "D07"]),
        ("picked", None, ["D03", "D01"], ["D01", "D03"]),  # meeting order, not picking order
    ],
)
def test_selections(fixture_con, selection, n, picked, expected):
    assert ids(reviews.agenda_preview(fixture_con, Q1, selection, n, picked)) == expected


def test_segment_filter_narrows_the_agenda(fixture_con):
    smb = Q1.with_(segment="SMB")
    assert ids(reviews.agenda_preview(fixture_con, smb, "all")) == ["D08", "D03", "D06"]


def test_bad_agendas_are_refused_with_the_reason(fixture_db):
    with pytest.raises(reviews.ReviewError, match="Not closed in this period.*D09"):
        start(fixture_db, selection="picked", deal_ids=["D01", "D09"])
    with pytest.raises(reviews.ReviewError, match="at least one deal"):
        start(fixture_db, selection="picked", deal_ids=[])
    with pytest.raises(reviews.ReviewError, match="how many"):
        start(fixture_db, selection="largest", largest_n=0)
    with pytest.raises(reviews.ReviewError, match="No closed deal matches"):
        reviews.create_review(fixture_db, "Empty", Filters(*quarter_bounds("2024Q1")), "all")
    with pytest.raises(reviews.ReviewError, match="name"):
        start(fixture_db, name="   ")
    with pytest.raises(reviews.ReviewError, match="model"):
        start(fixture_db, model="markov")
    start(fixture_db)
    with pytest.raises(reviews.ReviewError, match="already exists"):
        start(fixture_db, name="2026q1 WON deals", selection="lost")
    with read(fixture_db) as con:
        assert len(reviews.list_reviews(con)) == 1  # nothing half-written


def test_suggested_names_say_what_the_review_holds(fixture_con):
    assert reviews.suggest_name(Q1, "won") == "2026Q1 won deals"
    assert reviews.suggest_name(Q1, "largest", 3, taken=["2026Q1 largest 3 deals"]) == "2026Q1 largest 3 deals (2)"
    jan = Filters(*quarter_bounds("2026Q1")).with_(date_to=Q1.date_from.replace(day=31), owner="Bob")
    assert reviews.suggest_name(jan, "all") == "2026-01-01 to 2026-01-31 closed deals Bob"


# --- verdicts and resuming ------------------------------------------------------------------------


def test_verdicts_carry_the_review_and_the_stepper_resumes_at_the_first_deal_without_one(fixture_db):
    review_id = start(fixture_db)
    judge(fixture_db, review_id)
    with read(fixture_db) as con:
        agenda = reviews.agenda(con, review_id)
        info = reviews.open_review(con, NAME)
        notes = reviews.review_notes(con, review_id, ids(agenda))
    assert agenda["marketing_notes"].tolist() == [1, 2, 0, 0, 0]
    assert agenda["sales_notes"].tolist() == [2, 3, 0, 0, 0]
    assert reviews.resume_position(agenda) == 3  # D07
    assert (info.deals, info.deals_with_verdict, info.notes, info.selection_label) == (5, 2, 8, "Won deals only")
    assert len(notes) == 8 and set(notes["review_id"]) == {review_id}
    assert notes["position"].tolist() == [1, 1, 1, 2, 2, 2, 2, 2]
    assert notes["is_current"].all()
    with read(fixture_db) as con:
        only_d01 = db.run(con, "review_notes", review_id=review_id, deal_ids=["D01"])
    # agenda order, then the deal's own notes first, then touches in time order
    assert only_d01["subject"].tolist() == ["deal", "touch", "touch", "touch", "touch"]
    assert only_d01["touchpoint_id"].tolist()[1:] == ["T03", "T03", "T04", "T04"]
    assert only_d01["touchpoint_type"].tolist()[1:] == ["webinar_attended"] * 2 + ["sales_meeting"] * 2
    assert only_d01["position"].tolist() == [1] * 5


def test_every_deal_judged_resumes_at_the_summary(fixture_db):
    review_id = start(fixture_db, name="Losses", selection="lost")
    for deal_id in ("D05", "D03", "D06"):
        reviews.record_verdict(fixture_db, review_id, deal_id, "sales", "noise")
    with read(fixture_db) as con:
        assert reviews.resume_position(reviews.agenda(con, review_id)) == 4


def test_a_verdict_on_a_deal_off_the_agenda_is_refused(fixture_db):
    review_id = start(fixture_db)
    with pytest.raises(reviews.ReviewError, match="not on the agenda"):
        reviews.record_verdict(fixture_db, review_id, "D03", "sales", "critical")


def test_a_later_verdict_replaces_the_earlier_one_in_the_summary_but_both_are_kept(fixture_db):
    review_id = start(fixture_db)
    reviews.record_verdict(fixture_db, review_id, "D04", "marketing", "noise", touchpoint_id="T16")
    reviews.record_verdict(fixture_db, review_id, "D04", "marketing", "critical", "On reflection", touchpoint_id="T16")
    with read(fixture_db) as con:
        deal_ids = ids(reviews.agenda(con, review_id))
        notes = reviews.review_notes(con, review_id, deal_ids)
        counts = db.run(con, "review_agreement", review_id=review_id, deal_ids=deal_ids)
    assert notes["verdict"].tolist() == ["noise", "critical"]
    assert notes["is_current"].tolist() == [False, True]
    row = counts.set_index("touchpoint_type").loc["sales_meeting"]
    assert (row["marketing_verdicts"], row["marketing_critical"], row["marketing_noise"]) == (1, 1, 0)


def test_notes_outside_the_review_stay_out_of_it(fixture_db):
    from closedloop.meeting import notes as notes_mod

    review_id = start(fixture_db)
    notes_mod.add_note(fixture_db, "D04", "sales", "noise", "Said in the deal explorer", touchpoint_id="T16")
    judge(fixture_db, review_id)
    with read(fixture_db) as con:
        deal_ids = ids(reviews.agenda(con, review_id))
        assert len(reviews.review_notes(con, review_id, deal_ids)) == 8
        # without a review (the pack of a period) every note on the deals counts
        assert len(reviews.review_notes(con, None, deal_ids)) == 9
        step = reviews.deal_step(con, review_id, "D04")
    assert step.other_notes == 1
    assert step.credit["sales_verdict"].tolist() == ["critical", "noise"]


# --- one deal and the summary ---------------------------------------------------------------------


def test_deal_step_puts_credit_next_to_each_teams_verdict(fixture_db):
    review_id = start(fixture_db)
    judge(fixture_db, review_id)
    with read(fixture_db) as con:
        d04 = reviews.deal_step(con, review_id, "D04", "w_shaped")
        d01 = reviews.deal_step(con, review_id, "D01", "w_shaped")
        d01_linear = reviews.deal_step(con, review_id, "D01", "linear")
    assert d04.deal["deal_name"] == "Dynamo enterprise"
    c = d04.credit
    assert c["touchpoint_id"].tolist() == ["T16", "T17"]
    assert c["positions"].tolist() == ["FT", "CL"]
    assert c["credit"].tolist() == pytest.approx([0.75, 0.25])
    assert c["marketing_verdict"].tolist()[0] == "helpful"
    assert c["sales_verdict"].tolist() == ["critical", "noise"]
    assert c["sales_comment"].tolist()[0] == "The exec meeting closed it"
    assert d04.deal_verdicts == {}
    assert d01.credit["credit"].tolist() == pytest.approx([0.3, 0.3, 0.3, 0.05, 0.05])
    assert d01_linear.credit["credit"].tolist() == pytest.approx([0.2] * 5)
    assert d01.deal_verdicts == {"sales": ("helpful", "Good deal overall")}
    assert len(d01.notes) == 5


def test_agreement_summary_worked_out_by_hand(fixture_db):
    review_id = start(fixture_db)
    judge(fixture_db, review_id)
    with read(fixture_db) as con:
        deal_ids = ids(reviews.agenda(con, review_id))
        a = reviews.agreement(con, review_id, deal_ids, "w_shaped")
        raw = db.run(con, "review_agreement", review_id=review_id, deal_ids=deal_ids)
        talking = db.run(con, "review_disagreements", review_id=review_id, deal_ids=deal_ids)
    assert (a.deals_total, a.deals_discussed) == (5, 2)
    assert (a.touches_judged_by_both, a.touches_agreed) == (3, 1)
    assert a.agreement_rate == pytest.approx(1 / 3)
    t = a.by_type.set_index("touchpoint_type")
    assert a.by_type["touchpoint_type"].tolist() == JUDGED_TYPES
    assert t["model_credit_share"].tolist() == pytest.approx(JUDGED_TYPE_SHARES)
    assert t["touches"].tolist() == [2, 1, 1, 1, 1, 1]
    assert t.loc[
        "sales_meeting", ["marketing_critical", "marketing_verdicts", "sales_critical", "sales_verdicts"]
    ].tolist() == [0, 2, 2, 2]
    assert t.loc["sales_meeting", "marketing_critical_share"] == 0
    assert t.loc["sales_meeting", "sales_critical_share"] == 1
    assert t.loc["webinar_attended", ["marketing_critical_share", "sales_critical_share"]].tolist() == [1, 1]
    assert t.loc["linkedin_inmail", ["sales_verdicts", "sales_noise", "marketing_verdicts"]].tolist() == [1, 1, 0]
    # the query alone: judged types only
    assert raw["touchpoint_type"].tolist() == ["linkedin_inmail", "sales_meeting", "webinar_attended"]
    assert raw["touches_judged_by_both"].tolist() == [0, 2, 1]
    assert raw["touches_agreed"].tolist() == [0, 0, 1]
    # the talking points, in agenda order
    assert talking["deal_id"].tolist() == ["D04", "D01"]
    assert talking["touchpoint_id"].tolist() == ["T16", "T04"]
    assert talking[["marketing_verdict", "sales_verdict"]].values.tolist() == [
        ["helpful", "critical"],
        ["noise", "critical"],
    ]
    assert talking["opposite"].tolist() == [False, True]
    assert talking["sales_comment"].tolist() == ["The exec meeting closed it", ""]
    assert talking["marketing_comment"].tolist() == ["", ""]


def test_deal_level_disagreements_are_talking_points_too(fixture_db):
    review_id = start(fixture_db)
    reviews.record_verdict(fixture_db, review_id, "D02", "marketing", "critical", "The summit")
    reviews.record_verdict(fixture_db, review_id, "D02", "sales", "noise")
    with read(fixture_db) as con:
        deal_ids = ids(reviews.agenda(con, review_id))
        a = reviews.agreement(con, review_id, deal_ids)
    assert a.disagreements["deal_id"].tolist() == ["D02"]
    assert a.disagreements["touchpoint_id"].isna().all()
    assert a.disagreements["position"].tolist() == [4]
    # deal-level verdicts judge no touch: D02 is discussed, its types carry only the model's credit;
    # W-shaped: T08 is FT (30), T09 both LC and OC (30 + 30; lead L02 at 11:00 after it), no middle touch
    assert a.deals_discussed == 1 and a.touches_judged_by_both == 0
    assert a.by_type.set_index("touchpoint_type")["model_credit_share"].to_dict() == pytest.approx(
        {"ad_view": 1 / 3, "event_attended": 2 / 3}
    )
    # the summary chart draws the model's bars alone when no team judged a touch
    spec = charts.review_agreement(a.by_type, a.model_label).to_dict()
    texts = [row["text"] for rows in spec["datasets"].values() for row in rows]
    assert texts == ["66.7%", "33.3%"]


def test_no_verdicts_yet_is_an_empty_summary(fixture_db):
    review_id = start(fixture_db)
    with read(fixture_db) as con:
        a = reviews.agreement(con, review_id, ids(reviews.agenda(con, review_id)))
    assert a.empty and a.agreement_rate is None and a.by_type.empty and a.disagreements.empty


def test_period_agenda_counts_every_note_on_its_deals(fixture_db):
    review_id = start(fixture_db)
    judge(fixture_db, review_id)
    with read(fixture_db) as con:
        agenda = reviews.period_agenda(con, Q1, "largest", 2)
    assert ids(agenda) == ["D04", "D01"]
    assert agenda["marketing_notes"].tolist() == [1, 2] and agenda["sales_notes"].tolist() == [2, 3]


# --- survival ---------------------------------------------------------------------------------------


def test_a_review_survives_a_reimport_and_a_restart(fixture_db, tmp_path):
    from closedloop.importer import import_files

    review_id = start(fixture_db)
    judge(fixture_db, review_id)
    (tmp_path / "deals.csv").write_text(
        "deal_id,account_id,name,owner,created_at,closed_at,stage,outcome,amount\n"
        "D04,A4,Dynamo enterprise,Carol,2025-12-01,2026-03-15,closed_won,won,210000\n"
        "D20,A1,Acme add-on,Alice,2026-03-02,2026-03-25,closed_won,won,5000\n"
    )
    assert import_files(fixture_db, [tmp_path / "deals.csv"], "canonical").ok
    with read(fixture_db) as con:  # a new connection: as after a restart
        info = reviews.open_review(con, NAME)
        agenda = reviews.agenda(con, review_id)
        a = reviews.agreement(con, review_id, ids(agenda))
    # the agenda is what the meeting chose, even though D20 now also closed won in Q1
    assert ids(agenda) == ["D04", "D01", "D07", "D02", "D08"]
    assert agenda["amount_usd"].tolist()[0] == 210000  # the deal's figures are the CRM's latest
    assert (info.notes, info.deals_with_verdict) == (8, 2)
    assert (a.touches_judged_by_both, a.touches_agreed) == (3, 1)


def test_a_database_from_before_review_settings_gets_the_table_on_the_first_review(fixture_db):
    con = duckdb.connect(str(fixture_db))
    con.execute("drop table review_settings")
    con.close()
    with read(fixture_db) as con:
        assert reviews.list_reviews(con).empty
    start(fixture_db)
    with read(fixture_db) as con:
        assert reviews.list_reviews(con)["name"].tolist() == [NAME]
