"""Browser tests for issue 11: every page, opened by its deep link in headless Chromium, on a
database without a single touchpoint (what `import --mapping maven` makes) and on one whose keys
have spaces, emoji and 300 characters; and the review page's own deep link /closed-loop-review,
which Streamlit used to answer with "Page not found". Screenshots go to tests/artifacts/."""

from __future__ import annotations

import degenerate
import pytest
from conftest import ARTIFACTS, assert_no_streamlit_exception

from ui.nav import PAGES

pytestmark = pytest.mark.browser


_RUNNING = """() => {
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    const running = w && /Stop|Running/.test(w.innerText);
    return !running && !document.querySelector('[data-testid="stSkeleton"]');
}"""


def _settle(page, title: str) -> None:
    page.get_by_role("heading", name=title).first.wait_for()
    # until the script has finished: no "Stop" in the status widget, no skeleton placeholder left
    for _ in range(2):
        page.wait_for_function(_RUNNING, timeout=90_000)
        page.wait_for_timeout(1000)
    assert page.evaluate(_RUNNING)


def test_the_review_page_deep_link_opens_the_review_page(fixture_db, serve_app, browser_page):
    url = serve_app(fixture_db)
    page = browser_page
    page.goto(url + "/closed-loop-review?quarter=2026Q1")
    _settle(page, "Closed-loop review")
    assert_no_streamlit_exception(page)
    page.get_by_text("62.5%").first.wait_for()  # the fixture's Q1 2026 win rate
    page.screenshot(path=str(ARTIFACTS / "review_deep_link.png"), full_page=True)
    assert "/closed-loop-review" in page.url and "quarter=2026Q1" in page.url
    # the root still opens the same page
    page.goto(url + "/?quarter=2026Q1")
    _settle(page, "Closed-loop review")
    assert_no_streamlit_exception(page)


@pytest.mark.parametrize("variant", ["no_touchpoints", "odd_keys"])
def test_every_page_in_a_real_browser_on_a_degenerate_database(tmp_path, serve_app, browser_page, variant):
    url = serve_app(degenerate.build(tmp_path / f"{variant}.duckdb", variant))
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    for spec in PAGES:
        page.goto(f"{url}/{spec.url_path}")
        _settle(page, spec.title)
        assert_no_streamlit_exception(page)
        if variant == "no_touchpoints" and spec.url_path in ("win-rate-lift", "paths"):
            assert page.locator('[data-testid="stAlertContentInfo"]').count() >= 1, spec.title
        page.screenshot(path=str(ARTIFACTS / f"degenerate_{variant}_{spec.url_path}.png"), full_page=True)
    # no Deploy button: .streamlit/config.toml sets client.toolbarMode = "viewer"
    assert page.get_by_role("button", name="Deploy").count() == 0
