"""The closed-loop review: the period's won and lost deals and the touches before them."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from closedloop import db
from closedloop.filters import Filters


@dataclass(frozen=True)
class Review:
    kpis: dict[str, float | int | None]
    touch_types: pd.DataFrame
    deals: pd.DataFrame

    @property
    def empty(self) -> bool:
        return bool(self.deals.empty)


def kpis_of(deals: pd.DataFrame) -> dict[str, float | int | None]:
    """The review's KPIs from its closed deals (review_closed_deals), by queries/review_kpis.sql's
    definitions: the same figures without a second pass over the period's touches."""
    won = deals["outcome"] == "won"
    n_won, n = int(won.sum()), len(deals)
    days = deals.loc[won, "days_to_close"].dropna()

    def share_won(touches: str) -> float | None:
        return float((won & (deals[touches] > 0)).sum() / n_won) if n_won else None

    return {
        "deals_won": n_won,
        "deals_lost": int((deals["outcome"] == "lost").sum()),
        "win_rate": n_won / n if n else None,
        "revenue_won_usd": float(deals.loc[won, "amount_usd"].sum()),
        "median_days_to_close": float(days.median()) if len(days) else None,
        "won_dates_unknown": int((won & deals["dates_unknown"].fillna(False).astype(bool)).sum()),
        "share_won_marketing_touched": share_won("marketing_touches"),
        "share_won_sales_touched": share_won("sales_touches"),
    }


def review(con: duckdb.DuckDBPyConnection, f: Filters) -> Review:
    p = f.params()
    deals = db.run(con, "review_closed_deals", **p)
    return Review(
        kpis=kpis_of(deals),
        touch_types=db.run(con, "review_touch_types", **p),
        deals=deals,
    )
