"""The dashboard's common filters and their round trip through a URL's query string.

Pure Python, so pages and the CLI share one definition and the tests need no browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any

SCOPES = ("account", "contact_roles")
DEFAULT_LOOKBACK_DAYS = 180

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Filters:
    """Period (inclusive dates on closed_at), segment/region/owner (None = all) and the join settings."""

    date_from: date
    date_to: date
    segment: str | None = None
    region: str | None = None
    owner: str | None = None
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    scope: str = "account"

    def __post_init__(self) -> None:
        if self.date_from > self.date_to:
            raise ValueError(f"The period starts ({self.date_from}) after it ends ({self.date_to}).")
        if self.scope not in SCOPES:
            raise ValueError(f"Scope must be one of {', '.join(SCOPES)}, got {self.scope!r}.")
        if self.lookback_days < 0:
            raise ValueError(f"Lookback must be zero or more days, got {self.lookback_days}.")

    def params(self) -> dict[str, Any]:
        """The `$name` parameters shared by the filtered queries."""
        return asdict(self)

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


def quarter_bounds(label: str) -> tuple[date, date]:
    """'2026Q1' -> (2026-01-01, 2026-03-31)."""
    m = _QUARTER.match(label)
    if not m:
        raise ValueError(f"A quarter looks like 2026Q1, got {label!r}.")
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarters_between(first: date, last: date) -> list[str]:
    """Every quarter label from the one holding `first` to the one holding `last`, newest first."""
    labels = []
    q = quarter_of(first)
    while True:
        labels.append(q)
        if q == quarter_of(last):
            break
        q = quarter_of(quarter_bounds(q)[1] + timedelta(days=1))
    return labels[::-1]


def to_query_params(f: Filters, quarter: str | None = None) -> dict[str, str]:
    """Only what differs from the defaults goes into the URL, so links stay short."""
    out: dict[str, str] = {}
    if quarter:
        out["quarter"] = quarter
    else:
        out["from"] = f.date_from.isoformat()
        out["to"] = f.date_to.isoformat()
    for key in ("segment", "region", "owner"):
        value = getattr(f, key)
        if value:
            out[key] = value
    if f.lookback_days != DEFAULT_LOOKBACK_DAYS:
        out["lookback"] = str(f.lookback_days)
    if f.scope != "account":
        out["scope"] = f.scope
    return out


def from_query_params(qp: Mapping[str, str], default_quarter: str) -> tuple[Filters, str | None]:
    """Read filters back from a URL; anything unreadable falls back to the default.

    Returns the filters and the quarter label (None when custom dates were given).
    """
    quarter: str | None = qp.get("quarter")
    try:
        if quarter:
            start, end = quarter_bounds(quarter)
        elif qp.get("from") and qp.get("to"):
            start, end = date.fromisoformat(qp["from"]), date.fromisoformat(qp["to"])
            quarter = None
        else:
            raise ValueError
    except ValueError:
        quarter = default_quarter
        start, end = quarter_bounds(quarter)
    try:
        lookback = int(qp.get("lookback", DEFAULT_LOOKBACK_DAYS))
    except ValueError:
        lookback = DEFAULT_LOOKBACK_DAYS
    scope = qp.get("scope", "account")
    try:
        f = Filters(
            date_from=start,
            date_to=end,
            segment=qp.get("segment") or None,
            region=qp.get("region") or None,
            owner=qp.get("owner") or None,
            lookback_days=lookback,
            scope=scope if scope in SCOPES else "account",
        )
    except ValueError:
        quarter = default_quarter
        f = Filters(*quarter_bounds(default_quarter))
    return f, quarter
