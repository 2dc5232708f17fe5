"""What the Spend & return page shows, in one call: spend and return per channel or campaign
under one model, credit over time, and every model's ranks across the last quarters
(closedloop/engine/spend.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from closedloop.engine import spend
from closedloop.engine.attribution.models import DEFAULT_HALF_LIFE_DAYS, MODELS
from closedloop.filters import Filters


@dataclass(frozen=True)
class SpendView:
    model: str
    by: str
    booking: str
    grain: str
    rule: str  # the matching rule, stated on the page
    report: pd.DataFrame  # spend.REPORT_COLUMNS
    over_time: pd.DataFrame  # period, key, credit columns, spend_usd, roas
    has_spend: bool  # any spend (or campaign cost) in the period
    note: str | None = None

    @property
    def empty(self) -> bool:
        credit = self.report[["attributed_wins", "attributed_opportunities"]].fillna(0).to_numpy().sum()
        return not self.has_spend and credit == 0


def spend_view(
    con: Any,
    f: Filters,
    model: str = "linear",
    by: str = "channel",
    booking: str = "close",
    grain: str = "month",
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    weights: dict[str, Any] | None = None,
) -> SpendView:
    note = None
    trend_model = model
    if MODELS[model].kind != "rule":
        if booking == "touch":
            note = (
                f"{MODELS[model].label} credits channels of closed deals, not touches: credit is booked on the close."
            )
            booking = "close"
        # credit over time needs a credit per touch: the trend uses linear
        trend_model = "linear"
    weights_of = {m: weights if m == "custom" else None for m in (model, trend_model)}
    # one pass over the journeys serves the report and a monthly trend
    monthly = spend.monthly_inputs(con, trend_model, by, booking, f, half_life_days, weights_of[trend_model])
    report = spend.spend_report(
        con,
        model,
        by,
        booking=booking,
        f=f,
        half_life_days=half_life_days,
        weights=weights_of[model],
        monthly=monthly if trend_model == model else None,
    )
    over_time = spend.credit_over_time(
        con,
        trend_model,
        by,
        grain,
        booking,
        f=f,
        half_life_days=half_life_days,
        weights=weights_of[trend_model],
        monthly=monthly,
    )

    if trend_model != model:
        extra = f"The trend below uses Linear: {MODELS[model].label} has no credit per touch to book by month."
        note = f"{note} {extra}" if note else extra
    return SpendView(
        model=model,
        by=by,
        booking=booking,
        grain=grain,
        rule=spend.MATCHING_RULE[booking],
        report=report,
        over_time=over_time,
        has_spend=bool((report["spend_usd"] > 0).any()),
        note=note,
    )


def ranks_view(
    con: Any,
    f: Filters,
    by: str = "channel",
    booking: str = "close",
    data_driven: bool = False,
    measure: str = "wins",
    quarters: int = 4,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
) -> pd.DataFrame:
    """Each key's rank under every model in the last `quarters` quarters up to the period's end
    (spend.ranks_over_quarters): quarter, model, key, value, rank. Markov and Shapley only when
    `data_driven` (one pass per quarter) and with credit booked on the close."""
    return spend.ranks_over_quarters(
        con, quarters, f.date_to, by, measure, booking, f=f, half_life_days=half_life_days, data_driven=data_driven
    )
