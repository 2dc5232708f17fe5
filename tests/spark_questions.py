"""Every engine question, asked through the core's own functions: what the Spark tests compare.

`ask_everything(con, period)` calls the functions the pages and the CLI call (every rule-based
model, receipts, Markov orders 1-3, Shapley, lift, pipeline influence, journeys, handoff, review
KPIs) and returns their results by name; `recorded(...)` lists each named query they ran with
its parameters, so a test can ask Spark the very same questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from closedloop import db
from closedloop.engine import attribution, lift, lift_adjusted, path_reports, spend
from closedloop.engine.attribution.models import CustomWeights
from closedloop.filters import Filters
from closedloop.pages import handoff, journeys, review
from closedloop.pages import pipeline_influence as pipeline


@contextmanager
def recorded() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record the (query, parameters) of every db.run call inside the block."""
    calls: list[tuple[str, dict[str, Any]]] = []
    real = db.run

    def spy(con, name, **params):
        calls.append((name, dict(params)))
        return real(con, name, **params)

    db.run = spy
    try:
        yield calls
    finally:
        db.run = real


def questions(con: Any, period: tuple[dt.date, dt.date], deal_ids: list[str]) -> dict[str, Callable[[], Any]]:
    """name -> a call of the core that answers one engine question on `con`."""
    start, end = period
    f = Filters(date_from=start, date_to=end)
    f_contacts = Filters(date_from=start, date_to=end, lookback_days=90, scope="contact_roles")
    q: dict[str, Callable[[], Any]] = {
        "compare_models": lambda: attribution.compare_models(con, by="channel", date_from=start, date_to=end),
        "compare_models_revenue_contacts": lambda: attribution.compare_models(
            con,
            by="touchpoint_type",
            measure="revenue",
            date_from=start,
            date_to=end,
            lookback_days=90,
            scope="contact_roles",
        ),
        "rollup_campaign_custom": lambda: attribution.rollup(
            con,
            "custom",
            by="campaign",
            date_from=start,
            date_to=end,
            weights=CustomWeights(ft=1, lc=2, cl=1, middle=1, multipliers={"sales_meeting": 2.0, "ad_view": 0.0}),
        ),
        "rollup_time_decay_asset": lambda: attribution.rollup(
            con, "time_decay", by="asset", date_from=start, date_to=end, half_life_days=3.5
        ),
        "shapley": lambda: attribution.rollup(con, "shapley", by="channel", date_from=start, date_to=end),
        "shapley_team": lambda: attribution.rollup(con, "shapley", by="team", date_from=start, date_to=end),
        "touch_credit": lambda: attribution.touch_credit(con),
        "lift_type": lambda: lift.touchpoint_lift(con, start, end, dimension="touchpoint_type"),
        "lift_campaign": lambda: lift.touchpoint_lift(
            con, start, end, dimension="campaign", lookback_days=90, scope="contact_roles"
        ),
        "lift_asset": lambda: lift.touchpoint_lift(con, start, end, dimension="asset"),
        "pipeline_first_touch": lambda: pipeline.pipeline(con, f),
        "pipeline_window": lambda: pipeline.pipeline(con, f_contacts, definition="window", grain="quarter"),
        "pipeline_lead_source": lambda: pipeline.pipeline(con, f, definition="lead_source"),
        "journeys": lambda: journeys.journeys(con, f, order=1),
        "journeys_last3": lambda: journeys.journeys(con, f_contacts, order=2, path_steps=3, path_end="last"),
        "journeys_first2": lambda: journeys.journeys(con, f, order=None, path_steps=2),
        "handoff": lambda: handoff.handoff(con, f),
        "review": lambda: review.review(con, f),
        "review_contacts": lambda: review.review(con, f_contacts),
        "lift_adjusted": lambda: lift_adjusted.adjusted_lift(con, start, end, dimension="channel"),
        "time_lag": lambda: path_reports.time_lag(con, start, end),
        "path_length": lambda: path_reports.path_length(con, start, end, scope="contact_roles"),
        "spend_report": lambda: spend.spend_report(con, model="linear", by="channel", date_from=start, date_to=end),
        "spend_report_touch": lambda: spend.spend_report(
            con, model="markov", by="campaign", date_from=start, date_to=end, booking="touch"
        ),
        "credit_over_time": lambda: spend.credit_over_time(con, model="u_shaped", by="touchpoint_type"),
        "spend_report_touch_campaign": lambda: spend.spend_report(
            con, "w_shaped", "campaign", start, end, booking="touch", lookback_days=90, scope="contact_roles"
        ),
        "credit_over_time_quarter": lambda: spend.credit_over_time(
            con, "time_decay", "channel", "quarter", "close", start, end
        ),
        "ranks_over_quarters": lambda: spend.ranks_over_quarters(con, 2, end, data_driven=False),
    }
    for order in (1, 2, 3):
        q[f"markov_{order}"] = lambda order=order: attribution.rollup(
            con, "markov", by="channel", date_from=start, date_to=end, order=order
        )
        q[f"markov_transitions_{order}"] = lambda order=order: attribution.markov_transitions(
            con, by="touchpoint_type", order=order, date_from=start, date_to=end
        )
    for deal_id in deal_ids:
        q[f"receipt_{deal_id}"] = lambda deal_id=deal_id: attribution.receipt(con, deal_id)
    return q
