"""The meeting itself: what it shows for each deal of the agenda, and the agreement summary at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import attribution
from closedloop.filters import DEFAULT_LOOKBACK_DAYS
from closedloop.meeting import notes
from closedloop.meeting.reviews.common import DEFAULT_MODEL, REVIEW_MODELS, ReviewError, _none, review_notes
from closedloop.pages import deal_explorer as deals


@dataclass(frozen=True)
class DealStep:
    """What the meeting sees for one deal of the agenda."""

    deal: dict[str, Any]  # deals.deal_header: deal_name, account_name, owner, outcome, amount_usd, ...
    touches: pd.DataFrame  # the timeline's touches (deals.deal_view)
    markers: pd.DataFrame  # the timeline's milestones
    # one row per touch, in journey order: touch_number, touchpoint_id, occurred_at, team, channel,
    # touchpoint_type, campaign, positions, credit (share of the deal under the model),
    # marketing_verdict, marketing_comment, sales_verdict, sales_comment (current verdicts; "" = none)
    credit: pd.DataFrame
    deal_verdicts: dict[str, tuple[str, str | None]]  # team -> (verdict, comment) on the whole deal
    notes: pd.DataFrame  # this review's notes on the deal (review_notes rows), oldest first
    other_notes: int  # notes on the deal recorded outside this review
    model: str

    @property
    def model_label(self) -> str:
        return attribution.MODELS[self.model].label


@dataclass(frozen=True)
class Agreement:
    """What the teams said against what the model credited, over the deals discussed."""

    deals_total: int
    deals_discussed: int  # deals of the agenda with at least one verdict
    # one row per touchpoint type of the discussed deals' touches (or of a judged touch):
    # touchpoint_type, team, touches, marketing_verdicts, marketing_critical,
    # marketing_critical_share, sales_verdicts, sales_critical, sales_critical_share,
    # model_credit, model_credit_share, touches_judged_by_both, touches_agreed;
    # largest model credit first
    by_type: pd.DataFrame
    # review_disagreements rows: where marketing's and sales' current verdicts differ
    disagreements: pd.DataFrame
    model: str

    @property
    def empty(self) -> bool:
        return self.deals_discussed == 0

    @property
    def touches_judged_by_both(self) -> int:
        return int(self.by_type["touches_judged_by_both"].sum()) if len(self.by_type) else 0

    @property
    def touches_agreed(self) -> int:
        return int(self.by_type["touches_agreed"].sum()) if len(self.by_type) else 0

    @property
    def agreement_rate(self) -> float | None:
        both = self.touches_judged_by_both
        return self.touches_agreed / both if both else None

    @property
    def model_label(self) -> str:
        return attribution.MODELS[self.model].label


def deal_step(
    con: duckdb.DuckDBPyConnection,
    review_id: str | None,
    deal_id: str,
    model: str = DEFAULT_MODEL,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    scope: str = "account",
) -> DealStep | None:
    """One deal of the meeting: its timeline, its credit under the review's model next to each
    team's current verdict on each touch, and the review's notes on it. None if the deal is gone."""
    if model not in REVIEW_MODELS:
        raise ReviewError(f"The review's model must be one of {', '.join(REVIEW_MODELS)}, got {model!r}.")
    v = deals.deal_view(con, deal_id, lookback_days=lookback_days, scope=scope)
    if v is None:
        return None
    all_notes = review_notes(con, None, [deal_id])
    mine = all_notes if review_id is None else all_notes[all_notes["review_id"] == review_id]
    current = mine[mine["is_current"] & mine["verdict"].notna()]

    def verdicts_of(team: str) -> pd.DataFrame:
        rows = current[(current["team"] == team) & (current["subject"] == "touch")]
        return rows.set_index("touchpoint_id")[["verdict", "text"]]

    credit = v.receipt[
        [
            "touch_number",
            "touchpoint_id",
            "occurred_at",
            "team",
            "channel",
            "touchpoint_type",
            "campaign",
            "positions",
            model,
        ]
    ].rename(columns={model: "credit"})
    for team in notes.TEAMS:
        t = verdicts_of(team)
        # blank where the team has not judged the touch (or left no comment)
        for column, source in (("verdict", "verdict"), ("comment", "text")):
            said = dict(zip(t.index, t[source], strict=True))
            credit[f"{team}_{column}"] = [_none(said.get(tp)) or "" for tp in credit["touchpoint_id"]]
    whole = current[current["subject"] == "deal"]
    deal_verdicts = {row.team: (row.verdict, _none(row.text)) for row in whole.itertuples()}
    return DealStep(
        deal=v.deal,
        touches=v.touches,
        markers=v.markers,
        credit=credit.reset_index(drop=True),
        deal_verdicts=deal_verdicts,
        notes=mine.sort_values(["created_at", "note_id"]).reset_index(drop=True),
        other_notes=len(all_notes) - len(mine),
        model=model,
    )


# --- the agreement summary --------------------------------------------------------------------------


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0)).astype(float)


def agreement(
    con: duckdb.DuckDBPyConnection,
    review_id: str | None,
    deal_ids: list[str],
    model: str = DEFAULT_MODEL,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    scope: str = "account",
) -> Agreement:
    """For each touchpoint type of the discussed deals: how often each team called its touches
    critical (current verdicts) against the share of those deals' credit the model gave the type,
    and where the teams' verdicts differ.

    Discussed deals: the agenda's deals with at least one verdict. A type's model credit is the
    sum of its touches' credit (each deal's credit adds up to 1), its share that sum divided by the
    number of discussed deals; deals without a touch keep theirs under "No touchpoint".
    """
    if model not in REVIEW_MODELS:
        raise ReviewError(f"The review's model must be one of {', '.join(REVIEW_MODELS)}, got {model!r}.")
    deal_ids = list(deal_ids)
    notes_df = review_notes(con, review_id, deal_ids)
    discussed = sorted(set(notes_df.loc[notes_df["verdict"].notna(), "deal_id"]))
    verdicts = db.run(con, "review_agreement", review_id=review_id, deal_ids=deal_ids)
    disagreements = db.run(con, "review_disagreements", review_id=review_id, deal_ids=deal_ids)

    if discussed:
        credit = attribution.touch_credit(con, lookback_days=lookback_days, scope=scope)
        credit = credit[credit["deal_id"].isin(discussed) & credit["touchpoint_id"].notna()]
        per_type = (
            credit.groupby("touchpoint_type")
            .agg(team=("team", "first"), touches=("touchpoint_id", "count"), model_credit=(model, "sum"))
            .reset_index()
        )
    else:  # no verdict yet: no credit to weigh (and no pass over every deal's touches)
        per_type = pd.DataFrame(
            {
                "touchpoint_type": pd.Series(dtype=object),
                "team": pd.Series(dtype=object),
                "touches": pd.Series(dtype="int64"),
                "model_credit": pd.Series(dtype=float),
            }
        )
    by_type = per_type.merge(verdicts, on="touchpoint_type", how="outer")
    counts = [c for c in verdicts.columns if c != "touchpoint_type"] + ["touches"]
    by_type[counts] = by_type[counts].fillna(0).astype(int)
    by_type["model_credit"] = by_type["model_credit"].fillna(0.0).astype(float)
    by_type["team"] = by_type["team"].fillna("")
    by_type["model_credit_share"] = by_type["model_credit"] / len(discussed) if discussed else 0.0
    for team in notes.TEAMS:
        by_type[f"{team}_critical_share"] = _share(by_type[f"{team}_critical"], by_type[f"{team}_verdicts"])
    by_type = by_type.sort_values(
        ["model_credit_share", "touchpoint_type"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
    columns = [
        "touchpoint_type",
        "team",
        "touches",
        "marketing_verdicts",
        "marketing_critical",
        "marketing_critical_share",
        "sales_verdicts",
        "sales_critical",
        "sales_critical_share",
        "model_credit",
        "model_credit_share",
        "touches_judged_by_both",
        "touches_agreed",
        "marketing_helpful",
        "marketing_noise",
        "sales_helpful",
        "sales_noise",
    ]
    return Agreement(
        deals_total=len(deal_ids),
        deals_discussed=len(discussed),
        by_type=by_type[columns],
        disagreements=disagreements,
        model=model,
    )
