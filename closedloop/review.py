"""The closed-loop review: the period's won and lost deals and the touches before them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from closedloop import db
from closedloop.filters import Filters, quarter_of, quarters_between


@dataclass(frozen=True)
class FilterOptions:
    segments: list[str]
    regions: list[str]
    owners: list[str]
    quarters: list[str]  # newest first
    default_quarter: str


@dataclass(frozen=True)
class Review:
    kpis: dict[str, float | int | None]
    touch_types: pd.DataFrame
    deals: pd.DataFrame

    @property
    def empty(self) -> bool:
        return self.deals.empty


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


def review(con: duckdb.DuckDBPyConnection, f: Filters) -> Review:
    p = f.params()
    kpis = db.run(con, "review_kpis", **p).to_dict("records")[0]
    kpis = {k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in kpis.items()}
    return Review(
        kpis=kpis,
        touch_types=db.run(con, "review_touch_types", **p),
        deals=db.run(con, "review_closed_deals", **p),
    )
