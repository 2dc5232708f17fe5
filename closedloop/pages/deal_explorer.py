"""The deal explorer: find a deal, and everything that happened on it in one place.

A deal's view holds its header figures, its timeline (touches and markers: lead
creation, opportunity creation, stage changes, close), its retrospective notes
and its credit receipt under every rule-based attribution model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import attribution
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, SCOPES
from closedloop.meeting import notes

MAX_MATCHES = 200


@dataclass(frozen=True)
class DealView:
    deal: dict[str, Any]
    touches: pd.DataFrame  # one row per touch of the deal, in time order
    markers: pd.DataFrame  # lead creation, opportunity creation, stage changes, close
    notes: pd.DataFrame
    # every touch with its positions (FT, LC, OC, CL) and its credit under each
    # rule-based model (closedloop.engine.attribution.receipt); one "No touchpoint" row
    # when the deal has no touch
    receipt: pd.DataFrame
    # the receipt's models: model, label, weights (in the receipt's column order)
    receipt_models: pd.DataFrame

    @property
    def marketing_touches(self) -> int:
        return int((self.touches["team"] == "marketing").sum())

    @property
    def sales_touches(self) -> int:
        return int((self.touches["team"] == "sales").sum())


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def find_deals(con: duckdb.DuckDBPyConnection, search: str | None = None, max_rows: int = MAX_MATCHES) -> pd.DataFrame:
    """Deals whose name, account, owner or id contains `search`, most recent first."""
    return db.run(con, "deal_search", search=(search or "").strip() or None, deal_id=None, max_rows=max_rows)


def deal_header(con: duckdb.DuckDBPyConnection, deal_id: str) -> dict[str, Any] | None:
    rows = db.run(con, "deal_search", search=None, deal_id=deal_id, max_rows=1)
    if rows.empty:
        return None
    return {k: _plain(v) for k, v in rows.iloc[0].items()}


def deal_view(
    con: duckdb.DuckDBPyConnection,
    deal_id: str,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    scope: str = "account",
    half_life_days: float = attribution.DEFAULT_HALF_LIFE_DAYS,
) -> DealView | None:
    """Everything the explorer shows about one deal; None when there is no such deal."""
    if scope not in SCOPES:
        raise ValueError(f"Scope must be one of {', '.join(SCOPES)}, got {scope!r}.")
    deal = deal_header(con, deal_id)
    if deal is None:
        return None
    timeline = db.run(con, "deal_timeline", deal_id=deal_id, lookback_days=lookback_days, scope=scope)
    is_touch = timeline["event"] == "touch"
    touches = timeline[is_touch].drop(columns=["label"]).reset_index(drop=True)
    markers = timeline.loc[~is_touch, ["event", "occurred_at", "label"]].reset_index(drop=True)
    receipt = attribution.receipt(con, deal_id, lookback_days=lookback_days, scope=scope, half_life_days=half_life_days)
    catalogue = attribution.model_catalogue(half_life_days=half_life_days).set_index("model")
    models = [m for m in attribution.RULE_MODELS if m in receipt.columns]
    # the timeline's hover says which positions (FT, LC, OC, CL) a touch holds
    positions = receipt.dropna(subset=["touchpoint_id"]).set_index("touchpoint_id")["positions"]
    touches["positions"] = touches["touchpoint_id"].map(positions).fillna("")
    return DealView(
        deal=deal,
        touches=touches,
        markers=markers,
        notes=notes.notes_for_deal(con, deal_id),
        receipt=receipt,
        receipt_models=catalogue.loc[models, ["label", "weights"]].reset_index(),
    )
