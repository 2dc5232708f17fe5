"""Small helpers the tests share (fixtures are in conftest.py, the hand-built data in fixture.py)."""

from __future__ import annotations

from typing import Any


def filter_params(**changes: Any) -> dict[str, Any]:
    """The `$name` filter parameters of a filtered query, none filtering (every date, segment,
    region and owner; a 180-day lookback joined on the account), with `changes` on top."""
    return {
        "date_from": None,
        "date_to": None,
        "segment": None,
        "region": None,
        "owner": None,
        "lookback_days": 180,
        "scope": "account",
        **changes,
    }
