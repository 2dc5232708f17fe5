"""AppTests: every page of the app runs on the fixture without an exception, and
the review page shows the hand-worked figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import metrics
from streamlit.testing.v1 import AppTest

from ui.nav import PAGES

ROOT = Path(__file__).resolve().parent.parent


def page(path: str) -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=60)


def test_router_lists_every_page_file():
    files = {p.path for p in PAGES}
    on_disk = {f"views/{p.name}" for p in (ROOT / "views").glob("*.py") if not p.name.startswith("_")}
    assert files == on_disk


def test_router_runs_the_first_page(app_db):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == PAGES[0].title


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_runs_on_the_fixture(app_db, spec):
    at = page(spec.path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value == spec.title


def test_review_page_kpis(app_db):
    at = page("views/review.py").run()
    assert metrics(at) == {
        "Deals won": "5",
        "Deals lost": "3",
        "Win rate": "62.5%",
        "Revenue won": "$402,000",
        "Median days to close": "50 days",
        "Wins marketing touched": "80%",
        "Wins sales touched": "60%",
    }
    assert at.query_params["quarter"] == "2026Q1"
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 8


def test_review_page_reads_filters_from_the_url(app_db):
    at = page("views/review.py")
    at.query_params["segment"] = "SMB"
    at.run()
    assert metrics(at)["Deals won"] == "1" and metrics(at)["Deals lost"] == "2"
    assert at.selectbox(key="f_segment").value == "SMB"


def test_review_page_filter_change_updates_the_url(app_db):
    at = page("views/review.py").run()
    at.selectbox(key="f_owner").select("Bob").run()
    assert at.query_params["owner"] == "Bob"
    assert metrics(at)["Deals won"] == "2"


def test_review_page_empty_period(app_db):
    at = page("views/review.py")
    at.query_params["from"] = "2024-01-01"
    at.query_params["to"] = "2024-03-31"
    at.run()
    assert not at.exception
    assert "No deals closed" in at.info[0].value
    assert not at.metric


def test_missing_database_is_explained(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOSEDLOOP_DB", str(tmp_path / "absent.duckdb"))
    at = page("views/review.py").run()
    assert not at.exception
    assert "No database at" in at.error[0].value
