"""The Spend & return page (views/spend.py) on the fixture with tests/test_spend.py's spend: the
figures worked out there, the matching rule stated, and clear empty states."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_with
from streamlit.testing.v1 import AppTest
from test_spend import SPEND

from closedloop import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def at(fixture_db, monkeypatch) -> AppTest:
    con = db.connect(fixture_db, read_only=False)
    con.executemany("insert into spend values (?, ?, ?, ?)", [list(r) for r in SPEND])
    con.close()
    monkeypatch.setenv("CLOSEDLOOP_DB", str(fixture_db))
    a = AppTest.from_file(str(ROOT / "views" / "spend.py"), default_timeout=60)
    a.query_params["quarter"] = "2026Q1"
    return a


def report(at: AppTest):
    return at.dataframe[0].value.set_index("key")


def test_linear_report_and_rule(at):
    run_with(at, model="linear")
    r = report(at)
    assert r.loc["paid_search", "spend_usd"] == 4000
    assert r.loc["paid_search", "roas"] == pytest.approx(6.785714, rel=1e-6)
    assert r.loc["paid_social", "cac_usd"] == pytest.approx(8000.0)
    text = " ".join(m.value for m in at.markdown)
    assert "in the month they closed" in text
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spend (USD)"] == "$32,500"
    # the revenue credited to keys with spend (not sales'): 140,571.43 / 32,500 = 4.33
    assert metrics["ROAS of the spend"] == f"{(27142.857 + 20000 + 20000 + 50000 / 7 + 2 * 33142.857) / 32500:,.2f}"


def test_touch_booking_is_stated_and_changes_the_figures(at):
    run_with(at, booking="touch", model="linear")
    assert "touches that happened in that month" in " ".join(m.value for m in at.markdown)
    assert report(at).loc["paid_search", "attributed_wins"] == 0


def test_markov_books_on_the_close_and_says_so(at):
    run_with(at, model="markov", booking="touch")
    warnings = " ".join(w.value for w in at.warning)
    assert "booked on the close" in warnings and "trend below uses Linear" in warnings


def test_no_spend_says_so(fixture_db, monkeypatch):
    con = db.connect(fixture_db, read_only=False)
    con.execute("update campaigns set cost = null")
    con.close()
    monkeypatch.setenv("CLOSEDLOOP_DB", str(fixture_db))
    a = AppTest.from_file(str(ROOT / "views" / "spend.py"), default_timeout=60)
    a.query_params["quarter"] = "2026Q1"
    a.run()
    assert not a.exception
    assert "No spend recorded" in " ".join(i.value for i in a.info)


def test_empty_period(at):
    run_with(at, quarter="2024Q1")
    assert "No spend and no credit" in at.info[0].value


def test_ranks_by_quarter_with_and_without_markov_and_shapley(at):
    run_with(at)
    assert len(at.toggle) == 1 and not at.toggle[0].value
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert at.query_params["ranks_dd"] == ["1"] or at.query_params["ranks_dd"] == "1"
