"""Spend and attributed credit summed per month or quarter (issue 14; docs/spend.md): the two
inputs the spend reports (spend.py) match period by period.

Credit is booked on the close (wins and revenue in the period of the close, opportunities and
pipeline in the period of the deal's creation) or on the touch (each touch's share in the period
it happened): `booking`. Only rule-based models have a credit per touch to book this way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pandas as pd

from closedloop import db
from closedloop.engine.attribution import api
from closedloop.engine.attribution.models import BY_KEYS, DEFAULT_HALF_LIFE_DAYS, as_weights, check_model
from closedloop.engine.attribution.per_touch import catalogue_params, check_half_life
from closedloop.filters import Filters

SPEND_BY = ("channel", "campaign")
GRAINS = ("month", "quarter")
BOOKINGS = ("close", "touch")
CREDIT = ["attributed_wins", "attributed_revenue_usd", "attributed_opportunities", "attributed_pipeline_usd"]


def check(by: str, grain: str, booking: str) -> None:
    if by not in BY_KEYS:
        raise ValueError(f"Group by one of {', '.join(BY_KEYS)}, got {by!r}.")
    if grain not in GRAINS:
        raise ValueError(f"The period is a month or a quarter, got {grain!r}.")
    if booking not in BOOKINGS:
        raise ValueError(f"Credit is booked on the close or on the touch date, got {booking!r}.")


def check_spend_by(by: str) -> None:
    if by not in SPEND_BY:
        raise ValueError(f"Spend is per {' or '.join(SPEND_BY)}, got {by!r}.")


def period_start(day: date | None, grain: str) -> date | None:
    """The first day of the month or quarter holding `day`."""
    if day is None:
        return None
    month = day.month if grain == "month" else 3 * ((day.month - 1) // 3) + 1
    return date(day.year, month, 1)


def period_end(start: date, grain: str) -> date:
    """The last day of the month or quarter starting on `start`."""
    months = 1 if grain == "month" else 3
    y, m = divmod(start.month - 1 + months, 12)
    return date(start.year + y, m + 1, 1) - timedelta(days=1)


def whole_periods(f: Filters, grain: str) -> Filters:
    """`f` widened to whole months or quarters: from the first day of its first period to the
    last day of its last (what the data-driven roll-ups answer for a spend period)."""
    start, last = period_start(f.date_from, grain), period_start(f.date_to, grain)
    return f.with_(date_from=start, date_to=period_end(last, grain) if last else None)


def quarter_label(d: date) -> str:
    return f"{d.year} Q{(d.month - 1) // 3 + 1}"


def spend_by_period(
    con: Any, by: str = "channel", grain: str = "month", date_from: Any = None, date_to: Any = None
) -> pd.DataFrame:
    """Spend (USD) and leads created per key and period: period, key, spend_usd, leads."""
    check_spend_by(by)
    check(by, grain, "close")
    f = Filters.of(date_from, date_to, lookback_days=0)
    p_from, p_to = period_start(f.date_from, grain), period_start(f.date_to, grain)
    try:
        df = db.run(con, "spend_by_period", by=by, grain=grain, period_from=p_from, period_to=p_to)
    except db.Error as exc:
        if "spend" in str(exc) and "does not exist" in str(exc):
            raise ValueError(
                "This database predates spend (schema version 3): run `python -m closedloop refresh` to upgrade it."
            ) from exc
        raise
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df


def credit_by_period(
    con: Any,
    models: Sequence[str] | None = None,
    by: str = "channel",
    grain: str = "month",
    booking: str = "close",
    date_from: Any = None,
    date_to: Any = None,
    f: Filters | None = None,
    *,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    weights: Any = None,
    **filters: Any,
) -> pd.DataFrame:
    """Credit of the rule-based `models` (default: all of the catalogue) per period and key, in
    the whole periods from date_from to date_to: model, period, key, attributed_wins,
    attributed_revenue_usd, attributed_opportunities, attributed_pipeline_usd; in one pass over
    the journeys. `f`, or the dates and Filters' other fields as keywords."""
    check(by, grain, booking)
    f = api.resolve_filters(f, {"date_from": date_from, "date_to": date_to, **filters})
    w = as_weights(weights)
    names = [m for m in (models or api.default_models(w, "pipeline")) if m != "time_decay"]
    for name in names:
        if check_model(name).kind != "rule":
            raise ValueError(f"{name} learns from closed deals: it has no credit per touch to book over time.")
    if "custom" in names and w is None:
        raise ValueError("The custom model needs weights (a TOML or JSON file, see docs/attribution.md).")
    df = db.run(
        con,
        "credit_over_time",
        by=by,
        grain=grain,
        booking=booking,
        period_from=period_start(f.date_from, grain),
        period_to=period_start(f.date_to, grain),
        segment=f.segment,
        region=f.region,
        owner=f.owner,
        lookback_days=f.lookback_days,
        scope=f.scope,
        half_life_days=check_half_life(half_life_days),
        **catalogue_params(w, names),
    )
    if models:
        df = df[df["model"].isin(set(models))]
    df["period"] = pd.to_datetime(df["period"]).dt.date
    return df.reset_index(drop=True)


def monthly_inputs(
    con: Any,
    model: str,
    by: str,
    booking: str,
    f: Filters,
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    weights: Any = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(credit per month of one rule-based model, spend per month): what spend_report and a monthly
    credit_over_time share, so a page that shows both reads the journeys once (`monthly=`)."""
    credit = credit_by_period(con, [model], by, "month", booking, f=f, half_life_days=half_life_days, weights=weights)
    return credit, spend_by_period(con, by, "month", f.date_from, f.date_to)
