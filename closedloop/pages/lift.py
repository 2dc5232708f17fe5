"""What the Touchpoint lift page shows: closedloop.engine.lift's table for the common
filters, with the differences in percentage points and the period's closed-deal
totals (so the page can tell "no closed deals" from "no touches").

closedloop/engine/lift.py and queries/touchpoint_lift.sql hold the statistics; this
module only adapts them to the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import lift
from closedloop.filters import Filters

# the engine's differences in percentage points, as the page and the command line show them
PERCENTAGE_POINTS = {
    "win_rate_diff": "win_rate_diff_pp",
    "win_rate_diff_low95": "low95_pp",
    "win_rate_diff_high95": "high95_pp",
}
# The page's table and `python -m closedloop lift`'s, in the engine's order: counts, both win rates,
# the difference and its 95% interval in percentage points.
COLUMNS = [PERCENTAGE_POINTS.get(c, c) for c in lift.COLUMNS]

DIMENSION_TITLES = {
    "touchpoint_type": "touchpoint type",
    "channel": "channel",
    "campaign": "campaign",
    "asset": "asset",
}


@dataclass(frozen=True)
class LiftView:
    dimension: str
    deals_won: int
    deals_lost: int
    table: pd.DataFrame  # lift.touchpoint_lift's columns + *_pp columns, largest lift first
    small_sample_deals: int = lift.SMALL_SAMPLE_DEALS

    @property
    def closed_deals(self) -> int:
        return self.deals_won + self.deals_lost

    @property
    def empty(self) -> bool:
        return bool(self.table.empty)

    @property
    def charted(self) -> pd.DataFrame:
        """Rows with a difference to draw: a key that touched every closed deal has no 'not touched' side."""
        return self.table[self.table["win_rate_diff_pp"].notna()]


def lift_view(con: duckdb.DuckDBPyConnection, f: Filters, dimension: str = "touchpoint_type") -> LiftView:
    if dimension not in DIMENSION_TITLES:
        raise ValueError(f"Unknown lift dimension {dimension!r}; choose one of {', '.join(DIMENSION_TITLES)}.")
    kpis = db.run(con, "review_kpis", **f.params()).iloc[0]
    table = lift.lift_table(con, f, dimension)
    for src, dst in PERCENTAGE_POINTS.items():
        table[dst] = table[src] * 100
    return LiftView(
        dimension=dimension, deals_won=int(kpis["deals_won"]), deals_lost=int(kpis["deals_lost"]), table=table
    )
