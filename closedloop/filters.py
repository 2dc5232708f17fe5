"""The dashboard's common filters: their one definition (`Filters`, the constants), the options
the filter bar offers (`filter_options`, queries/filter_options.sql) and their round trip
through a URL's query string. Pages, the engine and the CLI share it; the tests need no browser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from numbers import Integral
from typing import Any

import duckdb

from closedloop import db

# The one definition of the filters' values and defaults: pages, the engine and the CLI import them.
SCOPES = ("account", "contact_roles")
DEFAULT_LOOKBACK_DAYS = 180
# the longest lookback the engine serves: its journey tables hold 730 days (queries/macros.sql max_lookback_days())
MAX_LOOKBACK_DAYS = 730
# the dates a link may ask for: anything else is a typo or a probe, not a period to report on
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
ALL_TIME = "all"  # ?quarter=all: every closed deal

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")

DateArg = date | datetime | str | None


@dataclass(frozen=True)
class Filters:
    """Period (inclusive dates on closed_at; None = unbounded), segment/region/owner (None = all)
    and the join settings. The one value a page, the CLI or a test hands to the query layer:
    `params()` are the `$name` parameters of every filtered query."""

    date_from: date | None = None
    date_to: date | None = None
    segment: str | None = None
    region: str | None = None
    owner: str | None = None
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    scope: str = "account"

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"The period starts ({self.date_from}) after it ends ({self.date_to}).")
        if self.scope not in SCOPES:
            raise ValueError(f"Scope must be one of {', '.join(SCOPES)}, got scope={self.scope!r}.")
        lookback = self.lookback_days
        whole = isinstance(lookback, int) and not isinstance(lookback, bool)
        if not whole or not 0 <= lookback <= MAX_LOOKBACK_DAYS:
            raise ValueError(
                f"Lookback must be a whole number of days from 0 to {MAX_LOOKBACK_DAYS}, got {lookback!r}."
            )

    @classmethod
    def of(
        cls,
        date_from: DateArg = None,
        date_to: DateArg = None,
        segment: str | None = None,
        region: str | None = None,
        owner: str | None = None,
        lookback_days: Any = DEFAULT_LOOKBACK_DAYS,
        scope: str = "account",
    ) -> Filters:
        """Filters from loose values (the command line's, a notebook's): dates as ISO text or
        datetimes, "" for none, a lookback that is a whole number of any integer type."""
        if isinstance(lookback_days, Integral) and not isinstance(lookback_days, bool):
            lookback_days = int(lookback_days)
        return cls(
            date_from=as_date(date_from, "date_from"),
            date_to=as_date(date_to, "date_to"),
            segment=segment or None,
            region=region or None,
            owner=owner or None,
            lookback_days=lookback_days,
            scope=scope,
        )

    def params(self) -> dict[str, Any]:
        """The `$name` parameters shared by the filtered queries."""
        return asdict(self)

    def with_(self, **changes: Any) -> Filters:
        return replace(self, **changes)


def as_date(value: DateArg, name: str) -> date | None:
    """A date from a date, a datetime or ISO text; None for None or \"\"."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name} must be a date like 2026-01-31, got {value!r}.") from None


def quarter_bounds(label: str) -> tuple[date, date]:
    """'2026Q1' -> (2026-01-01, 2026-03-31)."""
    m = _QUARTER.match(label)
    if not m:
        raise ValueError(f"A quarter looks like 2026Q1, got {label!r}.")
    year, q = int(m.group(1)), int(m.group(2))
    if year < 1:
        raise ValueError(f"A quarter's year is 1 or later, got {label!r}.")
    start = date(year, 3 * q - 2, 1)
    end = date(year, 12, 31) if q == 4 else date(year, 3 * q + 1, 1) - timedelta(days=1)
    return start, end


def quarter_of(d: date) -> str:
    return f"{d.year:04d}Q{(d.month - 1) // 3 + 1}"


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
    elif f.date_from and f.date_to:
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
        if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
            raise ValueError
    except ValueError:
        quarter = default_quarter
        start, end = quarter_bounds(quarter)
    try:
        lookback = int(qp.get("lookback", DEFAULT_LOOKBACK_DAYS))
    except ValueError:
        lookback = DEFAULT_LOOKBACK_DAYS
    if not 0 <= lookback <= MAX_LOOKBACK_DAYS:
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


def query_param_problems(
    qp: Mapping[str, str], segments: Any = (), regions: Any = (), owners: Any = ()
) -> list[tuple[str, str, str]]:
    """What `from_query_params` would ignore in a link: (parameter, value, what it should be), so the
    page can say so instead of silently showing something else."""
    out: list[tuple[str, str, str]] = []
    quarter = qp.get("quarter")
    if quarter is not None:
        if quarter != ALL_TIME:
            try:
                start, end = quarter_bounds(quarter)
                if not (EARLIEST <= start and end <= LATEST):
                    raise ValueError
            except ValueError:
                out.append(
                    (
                        "quarter",
                        quarter,
                        f"a quarter such as 2026Q1 from {EARLIEST.year} to {LATEST.year}, or {ALL_TIME}",
                    )
                )
    elif "from" in qp or "to" in qp:
        days: dict[str, date] = {}
        for name in ("from", "to"):
            raw = qp.get(name)
            try:
                days[name] = date.fromisoformat(raw or "")
                if not EARLIEST <= days[name] <= LATEST:
                    raise ValueError
            except ValueError:
                out.append(
                    (name, raw or "", f"a date such as 2026-01-31 from {EARLIEST} to {LATEST}, with both from and to")
                )
        if len(days) == 2 and days["from"] > days["to"]:
            out.append(("from", qp["from"], f"a date on or before to={qp['to']}"))
    raw = qp.get("lookback")
    if raw is not None:
        try:
            ok = 0 <= int(raw) <= MAX_LOOKBACK_DAYS
        except ValueError:
            ok = False
        if not ok:
            out.append(("lookback", raw, f"a whole number of days from 0 to {MAX_LOOKBACK_DAYS}"))
    if qp.get("scope") is not None and qp["scope"] not in SCOPES:
        out.append(("scope", qp["scope"], f"one of {', '.join(SCOPES)}"))
    for key, values in (("segment", segments), ("region", regions), ("owner", owners)):
        raw = qp.get(key)
        if raw and raw not in values:
            out.append((key, raw, f"a {key} of this database"))
    return out


@dataclass(frozen=True)
class FilterOptions:
    segments: list[str]
    regions: list[str]
    owners: list[str]
    quarters: list[str]  # newest first
    default_quarter: str


def filter_options(con: duckdb.DuckDBPyConnection, today: date | None = None) -> FilterOptions:
    rows = db.run(con, "filter_options")
    by = {k: g["value"].tolist() for k, g in rows.groupby("filter")}
    today = today or date.today()
    if "closed_max" in by:
        first, last = date.fromisoformat(by["closed_min"][0]), date.fromisoformat(by["closed_max"][0])
    else:
        first = last = today
    quarters = quarters_between(first, max(last, first))
    return FilterOptions(
        segments=by.get("segment", []),
        regions=by.get("region", []),
        owners=by.get("owner", []),
        quarters=quarters,
        # the meeting reviews the latest quarter that has closed deals
        default_quarter=quarter_of(last),
    )
