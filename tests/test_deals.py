"""The deal explorer's core and the retrospective notes on the hand-built fixture (tests/fixture.py)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from closedloop import db
from closedloop.meeting import notes
from closedloop.pages import deal_explorer as deals

TIMELINE = {"lookback_days": 180, "scope": "account"}


def timeline(con, deal_id: str, **kw):
    return db.run(con, "deal_timeline", deal_id=deal_id, **{**TIMELINE, **kw})


# --- deal_search ---------------------------------------------------------------------------------


def test_deal_search_matches_name_account_owner_and_id(fixture_con):
    def ids(search):
        df = db.run(fixture_con, "deal_search", search=search, deal_id=None, max_rows=50)
        return df["deal_id"].tolist()

    # most recent first: D07 closed 2026-03-30, D01 closed 2026-02-10
    assert ids("acme") == ["D07", "D01"]  # deal names and account "Acme Corp"
    assert ids("BOREALIS GMBH") == ["D02", "D09"]  # account name, any case
    assert ids("carol") == ["D04", "D10", "D06", "D12"]  # owner; open D10 sorts by creation (03-01)
    assert ids("d11") == ["D11"]
    assert ids("50%_") == []  # % and _ are plain characters, not wildcards
    every = ids(None)
    assert len(every) == 12 and every[:3] == ["D07", "D05", "D04"] and every[-1] == "D09"
    assert ids("") == every


def test_deal_search_one_deal_has_the_header_figures(fixture_con):
    row = db.run(fixture_con, "deal_search", search=None, deal_id="D01", max_rows=1).iloc[0]
    assert (row["deal_name"], row["account_name"], row["owner"], row["outcome"]) == (
        "Acme platform",
        "Acme Corp",
        "Alice",
        "won",
    )
    assert row["amount_usd"] == 100_000 and row["days_to_close"] == 36
    assert row["created_on"] == pd.Timestamp(2026, 1, 5) and row["closed_on"] == pd.Timestamp(2026, 2, 10)
    assert db.run(fixture_con, "deal_search", search=None, deal_id="D99", max_rows=1).empty


def test_find_deals_limits_and_trims(fixture_con):
    assert deals.find_deals(fixture_con, "  acme ")["deal_id"].tolist() == ["D07", "D01"]
    assert len(deals.find_deals(fixture_con, None, max_rows=3)) == 3


# --- deal_timeline -------------------------------------------------------------------------------


def test_deal_timeline_touches_and_markers(fixture_con):
    df = timeline(fixture_con, "D01")
    touches = df[df["event"] == "touch"]
    assert touches["touchpoint_id"].tolist() == ["T01", "T02", "T03", "T04", "T05"]
    assert touches["team"].tolist() == ["marketing"] * 3 + ["sales"] * 2
    t03 = touches.set_index("touchpoint_id").loc["T03"]
    assert (t03["campaign_name"], t03["asset"], t03["contact_title"]) == ("Q1 Webinar", "Q1 Webinar", "VP Marketing")
    markers = df[df["event"] != "touch"]
    assert list(zip(markers["occurred_at"], markers["event"], markers["label"], strict=True)) == [
        (datetime(2025, 12, 1, 12), "lead_created", "Lead L01 created (content)"),
        # the qualification stage starts when the opportunity is created: one marker
        (datetime(2026, 1, 5), "opportunity_created", "Opportunity created · Stage: qualification"),
        (datetime(2026, 1, 10, 12), "lead_created", "Lead L08 created (paid_search)"),
        (datetime(2026, 1, 23), "stage", "Stage: proposal"),  # halfway through the 36 days
        # the closed_won stage change is the close itself
        (datetime(2026, 2, 10), "closed", "Closed won"),
    ]
    assert df["occurred_at"].is_monotonic_increasing


def test_deal_timeline_follows_lookback_and_scope(fixture_con):
    # D03 created 2026-01-15; with no lookback T11 (2026-01-02) drops out
    touches = timeline(fixture_con, "D03", lookback_days=0).query("event == 'touch'")
    assert touches["touchpoint_id"].tolist() == ["T12", "T13"]
    # contact roles: T01 has no contact; D01's contacts K01, K02 keep T02..T05
    df = timeline(fixture_con, "D01", scope="contact_roles")
    assert df.query("event == 'touch'")["touchpoint_id"].tolist() == ["T02", "T03", "T04", "T05"]
    # leads of the deal's contacts: L01 (K01) and L08 (K02)
    assert df.query("event == 'lead_created'")["label"].str[:8].tolist() == ["Lead L01", "Lead L08"]
    # D04: T14, T15 before the lookback, T18 after the close; lead L04 shows although it is earlier
    d04 = timeline(fixture_con, "D04")
    assert d04.query("event == 'touch'")["touchpoint_id"].tolist() == ["T16", "T17"]
    assert d04["label"].iloc[0] == "Lead L04 created (website)"


def test_deal_timeline_open_deal_and_deal_without_touch(fixture_con):
    d10 = timeline(fixture_con, "D10")  # open: touches up to now, no close marker
    assert d10.query("event == 'touch'")["touchpoint_id"].tolist() == ["T16", "T17", "T18"]
    assert "closed" not in set(d10["event"])
    assert d10.query("event == 'stage'")["label"].tolist() == ["Stage: proposal"]
    d06 = timeline(fixture_con, "D06")
    assert "touch" not in set(d06["event"])
    assert d06["event"].tolist() == ["lead_created", "opportunity_created", "stage", "closed"]


def test_deal_view(fixture_con):
    v = deals.deal_view(fixture_con, "D01")
    assert v.deal["deal_name"] == "Acme platform" and v.deal["amount_usd"] == 100_000
    assert (len(v.touches), v.marketing_touches, v.sales_touches) == (5, 3, 2)
    assert len(v.markers) == 5
    # positions come from the attribution engine's receipt
    assert v.touches.set_index("touchpoint_id")["positions"].to_dict() == {
        "T01": "FT",
        "T02": "LC",
        "T03": "OC",
        "T04": "",
        "T05": "CL",
    }
    assert len(v.receipt) == 5 and v.receipt["linear"].tolist() == pytest.approx([0.2] * 5)
    assert v.receipt["u_shaped"].sum() == pytest.approx(1)
    assert v.receipt_models["model"].tolist()[:3] == ["first_touch", "last_touch", "linear"]
    assert "custom" not in v.receipt_models["model"].tolist()
    assert v.notes.empty
    assert deals.deal_view(fixture_con, "D99") is None
    d06 = deals.deal_view(fixture_con, "D06")
    assert d06.touches.empty and d06.receipt["channel"].tolist() == ["No touchpoint"]


# --- retro notes: the app's only write -------------------------------------------------------------


def test_add_note_saves_and_survives_reopening(fixture_db):
    first = notes.add_note(
        fixture_db, "D01", "sales", "critical", "  The webinar won the VP over. ", touchpoint_id="T03"
    )
    second = notes.add_note(fixture_db, "D01", "marketing", "helpful", "", touchpoint_id=None)
    assert (first, second) == (1, 2)

    con = db.connect(fixture_db)  # a new process would see the same file
    try:
        df = db.run(con, "retro_notes_for_deal", deal_id="D01")
        assert df["note_id"].tolist() == [2, 1]  # newest first
        by_id = df.set_index("note_id")
        assert by_id.loc[1, ["team", "verdict", "text", "touchpoint_id", "touchpoint_type"]].tolist() == [
            "sales",
            "critical",
            "The webinar won the VP over.",
            "T03",
            "webinar_attended",
        ]
        assert by_id.loc[1, "touch_on"] == pd.Timestamp(2026, 1, 3)
        assert pd.isna(by_id.loc[2, "text"]) and pd.isna(by_id.loc[2, "touchpoint_id"])
        # the timeline marks the noted touch
        t03 = timeline(con, "D01").set_index("touchpoint_id").loc["T03"]
        assert t03["notes"] == 1 and t03["note_verdicts"] == "sales: critical"
        assert db.run(con, "retro_notes_for_deal", deal_id="D02").empty
    finally:
        con.close()
    assert notes.add_note(fixture_db, "D01", "marketing", "noise", "x", touchpoint_id="T01") == 3


@pytest.mark.parametrize(
    ("deal_id", "touchpoint_id", "expected"),
    [
        # D01 is Acme's (A1); T03 is Acme's touch by K01, one of D01's contacts; T08 is A2's
        ("D01", "T03", (1, 1, 1, 1)),
        ("D01", "T01", (1, 1, 1, 0)),
        ("D01", "T08", (1, 1, 0, 0)),
        ("D01", None, (1, 0, 0, 0)),
        ("D99", "T03", (0, 1, 0, 0)),
    ],
)
def test_note_target_says_whether_the_deal_and_its_touch_exist(fixture_con, deal_id, touchpoint_id, expected):
    row = db.run(fixture_con, "note_target", deal_id=deal_id, touchpoint_id=touchpoint_id).iloc[0]
    assert tuple(int(row[c]) for c in ("deals_found", "touches_found", "on_account", "on_contact")) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"verdict": "meh"}, "Verdict must be one of critical, helpful, noise"),
        ({"team": "finance"}, "Team must be one of marketing, sales"),
        ({"deal_id": "D99"}, "There is no deal 'D99'"),
        ({"touchpoint_id": "T11"}, "Touchpoint 'T11' is not a touch of deal 'D01'"),  # T11 is Cobalt's
        ({"touchpoint_id": "T99"}, "There is no touchpoint 'T99'"),
        ({"review_id": "R9"}, "There is no review 'R9'"),
        ({"text": "x" * 2001}, "at most 2,000 characters"),
    ],
)
def test_add_note_refuses_bad_notes(fixture_db, kwargs, message):
    note = {"deal_id": "D01", "team": "sales", "verdict": "helpful", "text": "ok", "touchpoint_id": "T03", **kwargs}
    with pytest.raises(notes.NoteError, match=message):
        notes.add_note(fixture_db, **note)
    con = db.connect(fixture_db)
    try:
        assert con.execute("select count(*) from retro_notes").fetchone() == (0,)  # nothing half-written
    finally:
        con.close()


def test_add_note_on_a_touch_of_a_deal_contact(fixture_db):
    # D07's window holds T01..T07 of account A1; a note on T06 (contact K02) is fine
    assert notes.add_note(fixture_db, "D07", "marketing", "noise", "nurture email", touchpoint_id="T06") == 1


def test_add_note_needs_a_database(tmp_path):
    with pytest.raises(notes.NoteError, match="No database at"):
        notes.add_note(tmp_path / "absent.duckdb", "D01", "sales", "helpful", "x")


def test_add_note_explains_a_database_held_open(fixture_db):
    reader = db.connect(fixture_db)  # e.g. a dashboard session holding the file read-only
    try:
        with pytest.raises(notes.NoteError, match="open elsewhere"):
            notes.add_note(fixture_db, "D01", "sales", "helpful", "x")
    finally:
        reader.close()
    assert notes.add_note(fixture_db, "D01", "sales", "helpful", "x") == 1
