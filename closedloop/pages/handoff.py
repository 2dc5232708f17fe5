"""Handoff & SLA: how fast marketing's leads are followed up, which never are and
what they cost, and how leads convert MQL -> accepted -> opportunity -> won.

The period selects leads by their creation; owner means the lead's owner.
Follow-up figures count assigned leads only: speed is measured from the
assignment, so a lead nobody was assigned to has no clock to run against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from closedloop import db, filters
from closedloop.filters import Filters, quarter_of, quarters_between

DEFAULT_SLA_HOURS = 24.0
# Upper edges (hours) of the speed-to-lead buckets; the SLA is added as an edge
# so the buckets split exactly at it. Buckets are (lower, upper].
BUCKET_EDGES_HOURS = (1.0, 4.0, 8.0, 24.0, 48.0, 72.0, 168.0)
NEVER = "Never followed up"
FUNNEL_STAGES = ("mqls", "accepted", "opportunities", "won")


@dataclass(frozen=True)
class Handoff:
    sla_hours: float
    kpis: dict[str, float | int | None]
    leads: pd.DataFrame  # one row per lead created in the period (lead_follow_up.sql)
    speed: pd.DataFrame  # speed-to-lead buckets, then the never-followed-up bar
    never: pd.DataFrame  # leads_never_followed_up.sql
    funnel_total: pd.DataFrame  # one row: every lead of the period
    funnel_by_source: pd.DataFrame
    funnel_by_owner: pd.DataFrame

    @property
    def empty(self) -> bool:
        """No lead created in the period had an assignment: nothing to measure."""
        return not self.kpis["leads_assigned"]


def filter_options(con: duckdb.DuckDBPyConnection, today: date | None = None) -> filters.FilterOptions:
    """The filter bar's choices for lead pages: lead owners and the quarters leads were created in."""
    base = filters.filter_options(con, today)
    rows = db.run(con, "lead_filter_options")
    by = {k: g["value"].tolist() for k, g in rows.groupby("filter")}
    if "created_max" not in by:
        return base
    first, last = date.fromisoformat(by["created_min"][0]), date.fromisoformat(by["created_max"][0])
    return replace(
        base,
        owners=by.get("owner", []),
        quarters=quarters_between(first, last),
        default_quarter=quarter_of(last),
    )


def _hours_label(h: float) -> str:
    if h >= 48 and h % 24 == 0:
        return f"{h / 24:g} d"
    return f"{h:g} h"


def speed_buckets(hours: pd.Series, never_followed_up: int, sla_hours: float) -> pd.DataFrame:
    """Followed-up leads by hours from assignment to first follow-up, in (lower, upper] buckets,
    with the SLA as a bucket edge; then one bar for the leads never followed up."""
    edges = sorted({0.0, *BUCKET_EDGES_HOURS, float(sla_hours)})
    rows = []
    for i, upper in enumerate([*edges[1:], math.inf]):
        lower = edges[i]
        if i == 0:
            n = int((hours <= upper).sum())
            label, span = f"≤ {_hours_label(upper)}", f"up to {_hours_label(upper)}"
        elif math.isinf(upper):
            n = int((hours > lower).sum())
            label, span = f"> {_hours_label(lower)}", f"more than {_hours_label(lower)}"
        else:
            n = int(((hours > lower) & (hours <= upper)).sum())
            label = f"{_hours_label(lower)}–{_hours_label(upper)}"
            span = f"more than {_hours_label(lower)}, up to {_hours_label(upper)}"
        rows.append(
            {
                "bucket": label,
                "span": span,
                "lower_hours": lower,
                "upper_hours": upper,
                "leads": n,
                "status": "Within SLA" if upper <= sla_hours else "Over SLA",
            }
        )
    rows.append(
        {
            "bucket": NEVER,
            "span": "assigned, no follow-up recorded",
            "lower_hours": math.nan,
            "upper_hours": math.nan,
            "leads": int(never_followed_up),
            "status": NEVER,
        }
    )
    out = pd.DataFrame(rows)
    out["order"] = range(len(out))
    return out


def _rate(num: Any, den: Any) -> float | None:
    return None if not den else float(num) / float(den)


def _funnel_total(by_source: pd.DataFrame) -> pd.DataFrame:
    total = {"group_key": "All leads", **{c: int(by_source[c].sum()) for c in ("leads", *FUNNEL_STAGES)}}
    total["mql_to_accepted"] = _rate(total["accepted"], total["mqls"])
    total["accepted_to_opportunity"] = _rate(total["opportunities"], total["accepted"])
    total["opportunity_to_won"] = _rate(total["won"], total["opportunities"])
    total["mql_to_opportunity"] = _rate(total["opportunities"], total["mqls"])
    total["mql_to_won"] = _rate(total["won"], total["mqls"])
    return pd.DataFrame([total])


def handoff(con: duckdb.DuckDBPyConnection, f: Filters, sla_hours: float = DEFAULT_SLA_HOURS) -> Handoff:
    if not sla_hours > 0:
        raise ValueError(f"The SLA must be a positive number of hours, got {sla_hours!r}.")
    p = {"date_from": f.date_from, "date_to": f.date_to, "segment": f.segment, "region": f.region, "owner": f.owner}
    leads = db.run(con, "lead_follow_up", **p, sla_hours=float(sla_hours))
    never = db.run(con, "leads_never_followed_up", **p)
    # both groupings from one pass over the period's leads
    funnel = db.run(con, "lead_funnel", **p)
    by_source, by_owner = (
        funnel[funnel["dimension"] == dim].drop(columns="dimension").reset_index(drop=True)
        for dim in ("source_channel", "owner")
    )

    assigned = leads[leads["assigned"]]
    followed = assigned[assigned["followed_up"]]
    hours = followed["hours_to_follow_up"].astype(float)
    n_assigned, n_followed = len(assigned), len(followed)
    n_within = int(assigned["within_sla"].fillna(False).astype(bool).sum())
    kpis: dict[str, float | int | None] = {
        "leads_created": len(leads),
        "leads_not_assigned": len(leads) - n_assigned,
        "leads_assigned": n_assigned,
        "followed_up": n_followed,
        "follow_up_rate": _rate(n_followed, n_assigned),
        "within_sla": n_within,
        # of the assigned leads: a lead never followed up missed the SLA too
        "share_within_sla": _rate(n_within, n_assigned),
        "median_hours_to_follow_up": float(hours.median()) if n_followed else None,
        "never_followed_up": len(never),
        "never_followed_up_cost_usd": float(never["cost_per_lead_usd"].sum(min_count=1))
        if never["cost_per_lead_usd"].notna().any()
        else None,
        "never_followed_up_without_cost": int(never["cost_per_lead_usd"].isna().sum()),
    }
    return Handoff(
        sla_hours=float(sla_hours),
        kpis=kpis,
        leads=leads,
        speed=speed_buckets(hours, len(never), sla_hours),
        never=never,
        funnel_total=_funnel_total(by_source),
        funnel_by_source=by_source,
        funnel_by_owner=by_owner,
    )
