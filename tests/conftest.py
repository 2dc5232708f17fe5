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


@pytest.fixture(autouse=True)
def _clear_streamlit_caches():
    """Results cached by one test must never leak into the next."""
    yield
    if "streamlit" in sys.modules:
        import streamlit as st

        st.cache_data.clear()
        st.cache_resource.clear()
