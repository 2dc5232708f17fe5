"""What the review store and the meeting share: the agenda's choices, the review's settings, its notes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import attribution
from closedloop.filters import Filters

# How the agenda is chosen among the period's closed deals.
SELECTIONS: dict[str, str] = {
    "all": "All closed deals",
    "won": "Won deals only",
    "lost": "Lost deals only",
    "largest": "The largest N closed deals",
    "picked": "Hand-picked deals",
}
# Per-touch credit exists for the rule-based models (Markov and Shapley credit channels
# across deals); custom needs a weights file, so a review offers the others.
REVIEW_MODELS: tuple[str, ...] = tuple(m for m in attribution.RULE_MODELS if m != "custom")
DEFAULT_MODEL = "w_shaped"
DEFAULT_LARGEST_N = 10
MAX_NAME_CHARS = 80

AGENDA_COLUMNS = [
    "position",
    "deal_id",
    "deal_name",
    "account_name",
    "owner",
    "outcome",
    "amount_usd",
    "closed_on",
    "days_to_close",
    "marketing_notes",
    "sales_notes",
    "has_verdict",
]


class ReviewError(ValueError):
    """A review that can't be created or written to; the message says why and what to do."""


@dataclass(frozen=True)
class ReviewInfo:
    review_id: str
    name: str
    filters: Filters  # the period, segment/region/owner the agenda came from, lookback and scope
    model: str
    selection: str
    largest_n: int | None
    created_at: datetime | None
    deals: int
    deals_with_verdict: int
    notes: int

    @property
    def model_label(self) -> str:
        return attribution.MODELS[self.model].label

    @property
    def model_weights(self) -> str:
        return attribution.describe(self.model)

    @property
    def selection_label(self) -> str:
        return selection_label(self.selection, self.largest_n)


# --- choosing the agenda ----------------------------------------------------------------------------


def selection_label(selection: str, largest_n: int | None = None) -> str:
    if selection == "largest":
        return f"The largest {largest_n or DEFAULT_LARGEST_N} closed deals"
    return SELECTIONS[selection]


def _check_selection(selection: str, largest_n: int | None, deal_ids: list[str] | None) -> None:
    if selection not in SELECTIONS:
        raise ReviewError(f"Choose the deals with one of {', '.join(SELECTIONS)}, got {selection!r}.")
    if selection == "largest" and (largest_n is None or int(largest_n) < 1):
        raise ReviewError(f"Say how many of the largest deals to review (1 or more), got {largest_n!r}.")
    if selection == "picked" and not deal_ids:
        raise ReviewError("Pick at least one deal to review.")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "review"


def _none(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def review_notes(con: duckdb.DuckDBPyConnection, review_id: str | None, deal_ids: list[str]) -> pd.DataFrame:
    """Every note of the review on its deals (review_id None: every note on the deals), in agenda
    order, with is_current marking each team's latest verdict on a touch or deal. The CSV export."""
    return db.run(con, "review_notes", review_id=review_id, deal_ids=list(deal_ids))
