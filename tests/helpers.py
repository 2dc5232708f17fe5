"""Small helpers the tests share (fixtures are in conftest.py, the hand-built data in fixture.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from closedloop.filters import Filters

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def run_page(page: str, /, **query: str) -> AppTest:
    """Run one app file (`views/NAME.py`, relative to the repository) in an AppTest, opened with
    these query parameters, in their order."""
    from streamlit.testing.v1 import AppTest  # only the page tests load Streamlit

    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def filter_params(**changes: Any) -> dict[str, Any]:
    """The `$name` filter parameters of a filtered query, none filtering (every date, segment,
    region and owner; a 180-day lookback joined on the account: tests/test_filters.py), with
    `changes` on top."""
    return {**Filters().params(), **changes}
