"""The dashboard on Spark: every page opens in headless Chromium without an exception, with
CLOSEDLOOP_ENGINE=spark reading the Parquet folder `export` wrote, and the notes in the local
DuckDB file (CLOSEDLOOP_DB)."""

from __future__ import annotations

import pytest
from conftest import ARTIFACTS, assert_no_streamlit_exception
from spark_support import require_spark

from closedloop import db, parquet_export
from ui.nav import PAGES

pytestmark = [pytest.mark.spark, pytest.mark.browser]

_RUNNING = """() => {
    const w = document.querySelector('[data-testid="stStatusWidget"]');
    const running = w && /Stop|Running/.test(w.innerText);
    return !running && !document.querySelector('[data-testid="stSkeleton"]');
}"""


def test_every_page_on_spark_in_a_real_browser(fixture_db, tmp_path, serve_app, browser_page):
    require_spark()
    con = db.connect(fixture_db)
    try:
        parquet_export.export(con, tmp_path / "lake")
    finally:
        con.close()
    env = {
        "CLOSEDLOOP_ENGINE": "spark",
        "CLOSEDLOOP_SPARK_SOURCE": str(tmp_path / "lake"),
        "CLOSEDLOOP_SPARK_REMOTE": "",
    }
    url = serve_app(fixture_db, env)
    page = browser_page
    page.set_default_timeout(600_000)  # the first page starts Spark and builds the journey tables
    ARTIFACTS.mkdir(exist_ok=True)
    for spec in PAGES:
        page.goto(f"{url}/{spec.url_path}?quarter=2026Q1")
        page.get_by_role("heading", name=spec.title).first.wait_for()
        for _ in range(2):  # the script has finished: no "Stop" in the status widget, no skeleton left
            page.wait_for_function(_RUNNING, timeout=600_000)
            page.wait_for_timeout(1000)
        assert_no_streamlit_exception(page)
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, page.locator(
            '[data-testid="stAlertContentError"]'
        ).first.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"spark_{spec.url_path}.png"), full_page=True)
