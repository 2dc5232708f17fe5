from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
for p in (str(ROOT), str(TESTS)):
    if p not in sys.path:
        sys.path.insert(0, p)

import fixture  # noqa: E402


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
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve_app(chromium_path):
    """Start `streamlit run dashboard.py` on a free port against a database; yields its base URL."""
    import os
    import subprocess
    import time
    import urllib.request

    procs: list[subprocess.Popen] = []

    def start(db_path: Path, env_extra: dict[str, str] | None = None) -> str:
        port = _free_port()
        env = {**os.environ, "CLOSEDLOOP_DB": str(db_path), **(env_extra or {})}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "dashboard.py"),
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {proc.stdout.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return url
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("streamlit did not become healthy within 60 s")

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


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
