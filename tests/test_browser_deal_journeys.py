"""Browser tests of the deal explorer and the journeys pages: the real app served by `streamlit run`,
opened in headless Chromium. The main journey of the review meeting: open the review page, pick a won
deal, land on its deal explorer with its timeline, record a verdict and a comment, reload, see them
persist. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from conftest import assert_no_streamlit_exception, screenshot_whole_page, settle_charts
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COMMENT = "The Q1 webinar won the VP over"


def _choose(page, label: str, option: str, within=None) -> None:
    """Pick `option` in the selectbox labelled `label` (inside `within`, e.g. a form)."""
    box = (within or page).locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.scroll_into_view_if_needed()
    box.click()
    # typing filters the options, so the one wanted is first whatever the list's length
    page.keyboard.type(option)
    page.get_by_role("option", name=option).wait_for()
    page.keyboard.press("Enter")
    expect(box.locator("input")).to_have_value(option)


def test_review_to_deal_explorer_note_persists(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    page.goto(url + "/")
    page.get_by_text("Open a deal in the deal explorer").wait_for()
    _choose(page, "Open a deal in the deal explorer", "Acme platform (won)")
    page.wait_for_timeout(500)
    screenshot_whole_page(page, "review_open_deal.png")
    page.get_by_role("link", name="Open in deal explorer").click()

    page.wait_for_url(re.compile(r"/deal\?.*deal=D01"))
    page.get_by_role("heading", name="Acme platform").wait_for()
    page.get_by_text("$100,000").wait_for()
    page.get_by_text("5 touches (3 marketing, 2 sales)").wait_for()
    settle_charts(page)
    screenshot_whole_page(page, "deal_explorer_before_note.png")

    form = page.locator('[data-testid="stForm"]')
    _choose(page, "About", "T03 · 03 Jan 2026 · Webinar attended · Q1 Webinar", within=form)
    form.get_by_text("Sales", exact=True).click()
    form.get_by_text("Critical — it made the deal").click()
    form.locator("textarea").fill(COMMENT)
    form.get_by_role("button", name="Save note").click()
    page.get_by_text("Saved the sales team's verdict “critical” on T03").wait_for()
    assert_no_streamlit_exception(page)

    page.reload()
    page.get_by_role("heading", name="Acme platform").wait_for()
    assert "deal=D01" in page.url
    settle_charts(page)
    # the notes table is drawn on a canvas; its cells are mirrored in a table for assistive technology
    cells = page.locator('[data-testid="stDataFrame"] td[role="gridcell"]')
    expect(cells.filter(has_text=COMMENT)).to_have_count(1)
    expect(cells.filter(has_text="critical")).to_have_count(1)
    assert page.get_by_text("No notes on this deal yet.").count() == 0
    screenshot_whole_page(page, "deal_explorer.png")


def test_deal_link_opens_directly(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    page.goto(url + "/deal?deal=D04&lookback=30")
    page.get_by_role("heading", name="Dynamo enterprise").wait_for()
    page.get_by_text("$200,000").wait_for()
    page.get_by_text("2 touches (0 marketing, 2 sales)").wait_for()
    settle_charts(page)
    assert "lookback=30" in page.url


def test_journeys_page_in_a_real_browser(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    page.goto(url + "/paths?quarter=2026Q1&path=whole")
    page.get_by_text("Distinct channel paths").wait_for()
    settle_charts(page)
    # paths, touches per deal, days to close, the transition heatmap, and the path reports'
    # time lag and path length (issue 14)
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 6
    assert page.get_by_text("101 vs 59").count() == 1
    assert "path=whole" in page.url
    screenshot_whole_page(page, "journeys_fixture.png")


def test_deal_explorer_and_journeys_on_the_sample(sample_db, serve_app, browser_page):
    url = serve_app(sample_db)
    page = browser_page
    page.goto(url + "/paths")
    page.get_by_text("Distinct channel paths").wait_for(timeout=90_000)  # first load of a 2,000-deal sample
    settle_charts(page)
    screenshot_whole_page(page, "journeys_sample.png")
    page.goto(url + "/deal")
    page.get_by_text("Retrospective notes").wait_for(timeout=90_000)
    settle_charts(page)
    screenshot_whole_page(page, "deal_explorer_sample.png")
