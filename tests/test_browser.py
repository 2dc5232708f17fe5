"""Browser tests: the real app served by `streamlit run`, opened in headless Chromium."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, assert_no_streamlit_exception

pytestmark = pytest.mark.browser


def _open_review(page, url: str, won: str) -> None:
    """Open the Closed-loop review at `url` and wait for its revenue won to read `won`."""
    page.goto(url)
    page.get_by_text("Revenue won").wait_for()
    page.get_by_text(won).wait_for()


def test_review_page_in_a_real_browser(fixture_db, serve_app, browser_page):
    page = browser_page
    _open_review(page, serve_app(fixture_db) + "/", "$402,000")
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(1000)  # let the chart finish drawing before the screenshot
    assert page.get_by_text("62.5%").count() >= 1
    assert_no_streamlit_exception(page)
    page.screenshot(path=str(ARTIFACTS / "review.png"), full_page=True)


def test_review_link_reopens_the_same_view(fixture_db, serve_app, browser_page):
    page = browser_page
    _open_review(page, serve_app(fixture_db) + "/?quarter=2026Q1&segment=SMB", "$12,000")
    assert "segment=SMB" in page.url
    assert_no_streamlit_exception(page)
