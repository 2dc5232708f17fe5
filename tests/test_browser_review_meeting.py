"""Browser tests of the review meeting: the meeting pack opened offline from a file:// URL with every
network request blocked, and the Review meeting page served by `streamlit run` — reopen a review,
record a verdict, read the summary, download the pack. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import re

import pytest
from conftest import ARTIFACTS, assert_no_streamlit_exception, screenshot_whole_page, settle_charts
from test_reviews import NAME, judge, start

from closedloop.cli import main

pytestmark = pytest.mark.browser


def test_the_pack_opens_offline_with_every_chart(fixture_db, tmp_path, browser_page):
    judge(fixture_db, start(fixture_db))
    out = tmp_path / "pack.html"
    assert main(["report", "--db", str(fixture_db), "--review", NAME, "--out", str(out)]) == 0
    page = browser_page
    asked: list[str] = []

    def offline(route) -> None:
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    page.route("**/*", offline)
    page.goto(out.as_uri())
    page.get_by_role("heading", name="Review meeting pack: 2026Q1 won deals").wait_for()
    page.wait_for_load_state("load")
    images = page.evaluate(
        "() => [...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0, i.naturalWidth])"
    )
    assert len(images) == 8
    assert all(drawn for _, drawn, _ in images), images
    assert page.get_by_text("$402,000").count() == 1 and page.get_by_text("62.5%").count() == 1
    for name in ("1. Dynamo enterprise", "2. Acme platform", "5. Granite team plan", "Agreement summary"):
        assert page.get_by_role("heading", name=name).count() == 1
    page.screenshot(path=str(ARTIFACTS / "review_meeting_pack.png"), full_page=True)
    assert asked == [], f"the pack asked the network for {asked}"


def test_review_meeting_page_in_a_real_browser(fixture_db, serve_app, browser_page, tmp_path):
    judge(fixture_db, start(fixture_db))
    url = serve_app(fixture_db)
    page = browser_page

    # a new review: the agenda
    page.goto(url + "/meeting?quarter=2026Q1&deals=won")
    page.get_by_text("The agenda: 5 deals, largest first").wait_for()
    page.wait_for_timeout(1000)
    assert_no_streamlit_exception(page)
    screenshot_whole_page(page, "review_meeting_new.png")

    # reopening resumes at the first deal without a verdict
    page.goto(url + f"/meeting?review={NAME}")
    page.get_by_role("heading", name="Deal 3 of 5: Acme expansion").wait_for()
    assert "step=3" in page.url
    settle_charts(page)
    marketing = page.locator('[data-testid="stForm"]').first
    marketing.get_by_text("Helpful", exact=True).click()
    marketing.locator("textarea").fill("The renewal rode on the platform deal")
    marketing.get_by_role("button", name="Save the marketing verdict").click()
    page.get_by_text("Saved the marketing verdict “helpful” on the deal.").wait_for()
    page.get_by_text("3 of 5 deals judged").wait_for()
    assert_no_streamlit_exception(page)

    # a judged deal, as the meeting sees it
    page.get_by_role("button", name="Previous").click()
    page.get_by_role("heading", name="Deal 2 of 5: Acme platform").wait_for()
    page.wait_for_url(re.compile(r"step=2"))
    settle_charts(page)
    screenshot_whole_page(page, "review_meeting_deal.png")

    # the summary
    page.goto(url + f"/meeting?review={NAME}&step=6")
    page.get_by_role("heading", name="Agreement summary").wait_for()
    page.get_by_text("1 of 3 (33%)").wait_for()
    settle_charts(page)
    screenshot_whole_page(page, "review_meeting_summary.png")

    # the pack, built on click
    page.get_by_role("button", name="Build the meeting pack").click()
    page.get_by_role("button", name="Meeting pack (HTML)").wait_for(timeout=90_000)
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("button", name="Meeting pack (HTML)").click()
    saved = tmp_path / "from-page.html"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "review-pack-2026q1-won-deals.html"
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "The renewal rode on the platform deal" in text and "$402,000" in text
