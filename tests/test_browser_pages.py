"""Browser tests of the Touchpoint lift, Pipeline influence and Handoff & SLA pages: the real app
served by `streamlit run`, opened in headless Chromium through a deep link (the link a user shares),
on the fixture and on a freshly generated sample. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _open(page, url: str, text: str) -> None:
    page.goto(url)
    page.get_by_text(text).first.wait_for()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(1500)  # let the charts finish drawing before the screenshot
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()
    assert page.get_by_text("Page not found").count() == 0


def _shot(page, name: str) -> None:
    # Streamlit scrolls inside its own container: a tall viewport gets the whole page in the picture
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(max(int(height), 1000), 6000)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_lift_page_in_a_real_browser(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    _open(page, url + "/win-rate-lift?quarter=2026Q1&by=touchpoint_type", "The counts behind each")
    assert page.get_by_text("Win-rate lift by touchpoint type").count() == 1
    assert page.get_by_text("62.5%").count() >= 1
    page.locator('[data-testid="stButtonGroup"]').get_by_text("Campaign", exact=True).click()
    page.get_by_text("The counts behind each campaign").wait_for()
    assert "by=campaign" in page.url
    _shot(page, "lift_fixture.png")


@pytest.mark.parametrize(
    ("path", "text", "first", "then", "param", "name"),
    [
        (
            "/pipeline?quarter=2026Q1&definition=first_touch&grain=month",
            "Pipeline created",
            "$420,000",
            "$262,000",
            "definition=first_touch",
            "pipeline_fixture.png",
        ),
        (
            "/sla?from=2025-01-01&to=2026-03-31&sla=24",
            "Cost of leads never followed up",
            "$17,000",
            "44%",  # 4 of 9 assigned leads within 24 h
            "sla=24",
            "handoff_fixture.png",
        ),
    ],
    ids=["pipeline", "handoff"],
)
def test_page_in_a_real_browser(fixture_db, serve_app, browser_page, path, text, first, then, param, name):
    """The page opened by its link shows `first`, then `then`, and keeps `param` in its URL."""
    page = browser_page
    _open(page, serve_app(fixture_db) + path, text)
    page.get_by_text(first).first.wait_for()
    assert page.get_by_text(then).count() >= 1
    assert param in page.url
    _shot(page, name)


@pytest.mark.parametrize(
    ("path", "text", "name"),
    [
        ("/win-rate-lift?quarter=2026Q2&by=touchpoint_type", "The counts behind each", "lift_sample.png"),
        (
            "/pipeline?from=2025-07-01&to=2026-06-30&definition=window&days=30",
            "Pipeline created",
            "pipeline_sample.png",
        ),
        ("/sla?quarter=2026Q3", "Cost of leads never followed up", "handoff_sample.png"),
    ],
    ids=["lift", "pipeline", "handoff"],
)
def test_pages_on_the_sample(sample_db, serve_app, browser_page, path, text, name):
    url = serve_app(sample_db)
    _open(browser_page, url + path, text)
    _shot(browser_page, name)


# Streamlit shows "Page not found" on a first-load deep link when a pages/ folder sits next to the
# st.navigation entrypoint (it runs the file as an old-style page); the pages live in views/ for that.
def test_deep_link_has_no_page_not_found(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    page.goto(url + "/sla")
    page.get_by_text("Cost of leads never followed up").wait_for()
    page.wait_for_timeout(1000)
    assert page.get_by_text("Page not found").count() == 0
