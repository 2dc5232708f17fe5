"""What the Touchpoint lift page's "Adjusted for the account" section shows: closedloop.engine.lift_adjusted
for the common filters, the sentences where raw and adjusted disagree, and the rows a chart draws.

The statistics live in closedloop/engine/lift_adjusted.py; this module only adapts them to the page
(and to `lift --adjusted`, which prints the same table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from closedloop.engine import lift_adjusted as engine
from closedloop.filters import Filters

DEFAULT_BAND_EDGES = engine.DEFAULT_BAND_EDGES
MIN_DEALS_PER_STRATUM = engine.MIN_DEALS_PER_STRATUM
# `lift --adjusted` and the page's CSV: one row per key, the engine's columns with the raw
# difference in percentage points, without the two win rates it comes from and the reach figures
COLUMNS = [
    "win_rate_diff_pp" if c == "win_rate_diff" else c
    for c in engine.COLUMNS
    if c not in ("win_rate_touched", "win_rate_not_touched", "reaches")
]
STRATA_COLUMNS = [
    "key",
    "label",
    "segment",
    "region",
    "size_band_label",
    "touched_won",
    "touched_lost",
    "not_touched_won",
    "not_touched_lost",
]


@dataclass(frozen=True)
class AdjustedView:
    dimension: str
    deals_won: int
    deals_lost: int
    table: pd.DataFrame  # COLUMNS, largest raw lift first
    strata: pd.DataFrame  # STRATA_COLUMNS: every key's table in every stratum it touched
    band_labels: tuple[str, ...]

    @property
    def closed_deals(self) -> int:
        return self.deals_won + self.deals_lost

    @property
    def empty(self) -> bool:
        return self.table.empty

    @property
    def sentences(self) -> list[str]:
        """The disagreements worth a sentence, keys with enough deals per stratum first."""
        t = self.table[self.table["sentence"] != ""]
        return t.sort_values("thin", kind="stable")["sentence"].tolist()

    @property
    def charted(self) -> pd.DataFrame:
        """One row per key and figure (raw, adjusted) with a finite odds ratio and interval, for the chart."""
        rows = []
        for r in self.table.to_dict("records"):
            for kind, prefix in (("Raw", "odds_ratio_raw"), ("Within segment, region and size", "odds_ratio_adjusted")):
                value, low, high = r[prefix], r[f"{prefix}_low95"], r[f"{prefix}_high95"]
                if all(isinstance(x, float) and math.isfinite(x) and x > 0 for x in (value, low, high)):
                    rows.append(
                        {
                            "label": r["label"],
                            "figure": kind,
                            "odds_ratio": value,
                            "low95": low,
                            "high95": high,
                            "thin": bool(r["thin"]),
                            "strata_used": r["strata_used"],
                            "deals_in_strata_used": r["deals_in_strata_used"],
                            "smaller_side_per_stratum": r["smaller_side_per_stratum"],
                            "win_rate_diff_pp": r["win_rate_diff_pp"],
                        }
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "label",
                "figure",
                "odds_ratio",
                "low95",
                "high95",
                "thin",
                "strata_used",
                "deals_in_strata_used",
                "smaller_side_per_stratum",
                "win_rate_diff_pp",
            ],
        )


def adjusted_view(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    dimension: str = "touchpoint_type",
    band_edges: Sequence[float] = DEFAULT_BAND_EDGES,
) -> AdjustedView:
    res = engine.adjusted_lift(con, dimension=dimension, f=f, band_edges=band_edges)
    table = res.table.assign(win_rate_diff_pp=res.table["win_rate_diff"] * 100)
    strata = res.strata.reindex(columns=STRATA_COLUMNS)
    return AdjustedView(
        dimension=dimension,
        deals_won=res.deals_won,
        deals_lost=res.deals_lost,
        table=table[COLUMNS],
        strata=strata,
        band_labels=tuple(engine.band_labels(res.band_edges)),
    )
