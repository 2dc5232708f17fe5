from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
for p in (str(ROOT), str(TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)

pytest.register_assert_rewrite("helpers")  # its asserts say what they compared, like a test's

import appserver  # noqa: E402
import fixture  # noqa: E402
from helpers import generated_sample  # noqa: E402


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs on two workers (pytest-xdist, `-n auto --dist loadgroup`). A module's tests
    stay on one worker, so its module fixtures (a 2,000-deal sample, a Spark session) are built once;
    every Spark test shares one worker, so one JVM runs at a time on a 2-core machine; and the Spark
    group, the longest, goes first so it is not the tail of the run."""
    for item in items:
        spark = item.get_closest_marker("spark") is not None
        item.add_marker(pytest.mark.xdist_group("spark" if spark else item.nodeid.split("::")[0]))
    items.sort(key=lambda item: item.get_closest_marker("spark") is None)


@pytest.fixture
def fixture_db(tmp_path: Path) -> Path:
    """A fresh copy of the hand-built fixture database (see tests/fixture.py)."""
    return fixture.build(tmp_path / "fixture.duckdb")


@pytest.fixture
def fixture_con(fixture_db: Path):
    from closedloop import db

    con = db.connect(fixture_db)
    yield con
    con.close()


@pytest.fixture
def app_db(fixture_db: Path, monkeypatch) -> Path:
    """The fixture database, served to AppTests through CLOSEDLOOP_DB."""
    monkeypatch.setenv("CLOSEDLOOP_DB", str(fixture_db))
    return fixture_db


def metrics(at) -> dict[str, str]:
    """An AppTest's st.metric tiles as {label: shown value}."""
    return {m.label: m.value for m in at.metric}


def deal_tiles(amount: str, outcome: str, closed: str, days_to_close: str, **more: str) -> dict[str, str]:
    """The metric tiles over a closed deal (the Deal explorer's header, a Review meeting step), as
    `metrics` reads them: its amount, outcome, close date and days to close, and `more` tiles."""
    return {"Amount": amount, "Outcome": outcome, "Closed": closed, "Days to close": days_to_close, **more}


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Results cached by one test must never leak into the next."""
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()


# --- browser tests: Debian's chromium driven by Playwright; Playwright never downloads a browser.

ARTIFACTS = TESTS / "artifacts"
CHROMIUM_FLAGS = appserver.CHROMIUM_FLAGS


def _chromium() -> str | None:
    import os
    import shutil

    return os.environ.get("CLOSEDLOOP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    import os

    path = _chromium()
    if path:
        return path
    if os.environ.get("CI") == "true":
        pytest.fail("No chromium on CI: browser tests must run there (apt-get install chromium).")
    pytest.skip("No chromium found: install Debian's chromium package or set CLOSEDLOOP_CHROMIUM.")


@pytest.fixture
def serve_app(chromium_path):
    """Start `streamlit run dashboard.py` on a free port against a database; yields its base URL."""
    procs = []

    def start(db_path: Path, env_extra: dict[str, str] | None = None) -> str:
        proc, url = appserver.start(db_path, env_extra=env_extra)
        procs.append(proc)
        return url

    yield start
    for proc in procs:
        appserver.stop(proc)


@pytest.fixture
def browser_page(chromium_path):
    """A Playwright page in headless Debian chromium, sized like a laptop screen."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def assert_no_streamlit_exception(page) -> None:
    assert page.get_by_text("Page not found").count() == 0, "Streamlit could not route the URL"
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()


def settle_charts(page) -> None:
    """Wait for the page's first chart, then let every chart finish drawing (before a screenshot)."""
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(1500)
    assert_no_streamlit_exception(page)


def screenshot_whole_page(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(1000, height + 40)})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 1000})


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    """A generated sample of 2,000 deals (seed 42), for the browser tests on realistic data."""
    pytest.importorskip("closedloop.sample")
    return generated_sample(tmp_path_factory, "sample", deals=2000, seed=42)
