"""AppTests of the deal explorer on the hand-built fixture (figures in tests/fixture.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
from conftest import deal_tiles, metrics
from helpers import run_page
from streamlit.testing.v1 import AppTest

from closedloop import db

ROOT = Path(__file__).resolve().parent.parent
PAGE = "views/deal_explorer.py"


def open_deal(deal_id: str | None = None, **params: str) -> AppTest:
    return run_page(PAGE, **({"deal": deal_id} if deal_id else {}), **params)


def charts(at: AppTest) -> dict[str, list]:
    """Each Altair chart on the page by its title, with its datasets as lists of row dicts."""
    out = {}
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        title = spec.get("title")
        out[title if isinstance(title, str) else title["text"]] = [
            pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in el.proto.datasets
        ]
    return out


def touch_rows(at: AppTest) -> list[dict]:
    """The timeline's touch points (the dataset with touchpoint types)."""
    data = charts(at)
    timeline = next(v for k, v in data.items() if k.endswith("touches and milestones"))
    return next(rows for rows in timeline if rows and "type_label" in rows[0])


def test_deal_from_the_url_shows_its_header_and_timeline(app_db):
    at = open_deal("D01")
    assert not at.exception
    assert at.subheader[0].value == "Acme platform"
    assert metrics(at) == deal_tiles("$100,000", "Won", "10 Feb 2026", "36 days", Created="05 Jan 2026")
    assert any(c.value.startswith("5 touches (3 marketing, 2 sales)") for c in at.caption)
    touches = touch_rows(at)
    assert [t["touchpoint_id"] for t in touches] == ["T01", "T02", "T03", "T04", "T05"]
    t03 = next(t for t in touches if t["touchpoint_id"] == "T03")
    assert (t03["campaign_name"], t03["contact_title"], t03["positions"]) == ("Q1 Webinar", "VP Marketing", "OC")
    assert "Credit receipt: each touch's share of the deal under every model" in charts(at)
    receipt = at.dataframe[0].value  # no notes yet: the receipt is the only table
    assert receipt["touchpoint_id"].tolist() == ["T01", "T02", "T03", "T04", "T05"]
    assert receipt["first_touch"].tolist() == [1, 0, 0, 0, 0]
    assert at.info[0].value == "No notes on this deal yet."
    assert at.query_params["deal"] == "D01"


def test_a_note_saved_through_the_form_shows_and_stays(app_db):
    at = open_deal("D01")
    at.selectbox(key="dx_note_about").select("T03")
    at.radio(key="dx_note_team").set_value("sales")
    at.radio(key="dx_note_verdict").set_value("critical")
    at.text_area(key="dx_note_text").input("The webinar won the VP over.")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert "Saved the sales team's verdict “critical” on T03" in at.success[0].value
    notes = at.dataframe[0].value
    assert notes[["team", "verdict", "touchpoint_id", "text"]].values.tolist() == [
        ["sales", "critical", "T03", "The webinar won the VP over."]
    ]
    # the timeline rings the noted touch
    t03 = next(t for t in touch_rows(at) if t["touchpoint_id"] == "T03")
    assert t03["notes"] == 1 and t03["note_verdicts"] == "sales: critical"
    # in the database, and on a fresh session of the page
    con = db.connect(app_db)
    try:
        assert con.execute("select team, verdict, touchpoint_id from retro_notes").fetchall() == [
            ("sales", "critical", "T03")
        ]
    finally:
        con.close()
    again = open_deal("D01")
    assert again.dataframe[0].value["text"].tolist() == ["The webinar won the VP over."]


def test_a_note_on_the_whole_deal(app_db):
    at = open_deal("D04")
    at.radio(key="dx_note_verdict").set_value("noise")
    at.button[0].click().run()
    assert not at.exception
    notes = at.dataframe[0].value
    assert notes["verdict"].tolist() == ["noise"] and notes["touchpoint_id"].isna().all()


def test_search_picks_the_most_recent_match(app_db):
    at = open_deal()
    assert at.selectbox(key="dx_deal").value == "D07"  # the most recently closed deal
    at.text_input(key="dx_q").input("cobalt").run()
    assert at.selectbox(key="dx_deal").value == "D03"
    assert at.subheader[0].value == "Cobalt pilot"
    assert (at.query_params["deal"], at.query_params["q"]) == ("D03", "cobalt")
    at.text_input(key="dx_q").input("alice").run()
    assert at.selectbox(key="dx_deal").options == [
        "Acme expansion — Acme Corp · Alice · won, closed 30 Mar 2026",
        "Evergreen phase 2 — Evergreen Stores · Alice · open",
        "Cobalt pilot — Cobalt Credit · Alice · lost, closed 20 Feb 2026",
        "Acme platform — Acme Corp · Alice · won, closed 10 Feb 2026",
    ]


def test_no_match_and_unknown_deal(app_db):
    at = open_deal(q="zzz")
    assert not at.exception
    assert "No deal matches “zzz”" in at.info[0].value
    assert not at.metric
    at = open_deal("D99")
    assert "There is no deal 'D99'" in at.warning[0].value
    assert at.subheader[0].value == "Acme expansion"


def test_deal_without_touch_and_window_settings(app_db):
    at = open_deal("D06")
    assert not at.exception
    assert "No touchpoint belongs to this deal" in at.info[0].value
    assert at.dataframe[0].value["channel"].tolist() == ["No touchpoint"]
    # lookback and scope come from the URL: D03 with no lookback keeps T12, T13
    at = open_deal("D03", lookback="0")
    assert at.number_input(key="dx_lookback").value == 0
    assert [t["touchpoint_id"] for t in touch_rows(at)] == ["T12", "T13"]
    at = open_deal("D01", scope="contact_roles")
    assert any(c.value.startswith("4 touches (2 marketing, 2 sales)") for c in at.caption)
    assert at.query_params["scope"] == "contact_roles"


def test_review_page_opens_a_deal_in_the_explorer(app_db):
    # through the router the review page links with st.page_link
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert at.selectbox(key="review_open_deal").value == "D07"  # the most recent close first
    links = at.get("page_link")
    assert len(links) == 1 and links[0].proto.label == "Open in deal explorer"
    at.selectbox(key="review_open_deal").select("D01").run()
    link = at.get("page_link")[0].proto
    assert (link.page, link.query_string) == ("deal", "deal=D01&lookback=180&scope=account")
    # on its own (no router) the page falls back to a plain link
    alone = AppTest.from_file(str(ROOT / "views/review.py"), default_timeout=60).run()
    assert not alone.exception
    alone.selectbox(key="review_open_deal").select("D01").run()
    assert any("(deal?deal=D01&lookback=180&scope=account)" in m.value for m in alone.markdown)
