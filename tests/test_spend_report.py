"""The meeting pack's "Spend and return" section (closedloop/meeting/report.py) on the fixture with
tests/test_spend.py's spend: the review's model (W-shaped by default) over the review's months."""

from __future__ import annotations

import pytest
from test_spend import SPEND

from closedloop import db
from closedloop.filters import Filters, quarter_bounds
from closedloop.meeting import report


@pytest.fixture
def con(fixture_db):
    c = db.connect(fixture_db, read_only=False)
    yield c
    c.close()


def test_pack_has_spend_and_return_when_spend_is_recorded(con):
    con.executemany("insert into spend values (?, ?, ?, ?)", [list(r) for r in SPEND])
    pack = report.build_pack(con, filters=Filters(*quarter_bounds("2026Q1")), model="linear")
    rows = {r[0]: r for r in pack.spend.rows}
    # linear, Q1 2026 (tests/test_spend.py): paid search 4,000 spent, CAC 11,666.67, ROAS 6.79
    assert rows["paid_search"][1] == "$4,000" and rows["paid_search"][4] == "$11,667"
    assert rows["paid_search"][5] == "6.79"
    assert rows["event"][5] == "1.00"
    assert "sales" not in rows  # no spend, no row
    html = report.render_html(pack)
    assert "Spend and return" in html and "in the month they closed" in html
    assert report.pdf_page_count(report.render_pdf(pack)) >= 2


def test_no_spend_no_section(con):
    con.execute("update campaigns set cost = null")
    pack = report.build_pack(con, filters=Filters(*quarter_bounds("2026Q1")))
    assert pack.spend is None
    assert "Spend and return" not in report.render_html(pack)
