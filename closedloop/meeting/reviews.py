"""Review meetings: a named agenda of closed deals, stepped through one by one, with
both teams' verdicts recorded on the spot and an agreement summary at the end.

A review is saved in its own tables (`reviews`, `review_deals`, `review_settings`)
and its verdicts are retro_notes carrying the review's id: imports never touch
them, so a review survives re-imports and restarts and can be reopened and
continued. A team's latest verdict on a touch (or on the deal as a whole)
replaces its earlier ones in the summary; every note stays in the record.

The same questions work without a saved review (`review_id=None` and an explicit
list of deals): then every note on those deals counts. The meeting pack of a
period (`python -m closedloop report --from --to`) uses that.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from closedloop import db
from closedloop.engine import attribution
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, Filters, quarter_bounds, quarter_of
from closedloop.meeting import notes
from closedloop.pages import deal_explorer as deals

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


def candidate_deals(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """The period's closed deals (review_closed_deals), in meeting order: largest first."""
    df = db.run(con, "review_closed_deals", **f.params())
    return df.sort_values(
        ["amount_usd", "closed_on", "deal_id"], ascending=[False, True, True], na_position="last", kind="stable"
    ).reset_index(drop=True)


def select_deals(
    candidates: pd.DataFrame, selection: str, largest_n: int | None = None, deal_ids: list[str] | None = None
) -> pd.DataFrame:
    """The agenda among `candidates` (already in meeting order), with its 1-based position."""
    _check_selection(selection, largest_n, deal_ids)
    if selection in ("won", "lost"):
        picked = candidates[candidates["outcome"] == selection]
    elif selection == "largest":
        picked = candidates.head(int(largest_n or DEFAULT_LARGEST_N))
    elif selection == "picked":
        wanted = list(dict.fromkeys(deal_ids or []))
        unknown = sorted(set(wanted) - set(candidates["deal_id"]))
        if unknown:
            raise ReviewError(f"Not closed in this period (or not matching the filters): {', '.join(unknown)}.")
        picked = candidates[candidates["deal_id"].isin(wanted)]
    else:
        picked = candidates
    return picked.reset_index(drop=True).assign(position=lambda d: range(1, len(d) + 1))


def agenda_preview(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    selection: str = "all",
    largest_n: int | None = None,
    deal_ids: list[str] | None = None,
) -> pd.DataFrame:
    """The deals a new review would hold, in meeting order (no review is saved)."""
    return select_deals(candidate_deals(con, f), selection, largest_n, deal_ids)


def period_label(f: Filters) -> str:
    """'2026Q1' when the period is exactly a quarter, else '2026-01-01 to 2026-02-15'."""
    if f.date_from is None or f.date_to is None:  # a review's period has both ends
        raise ReviewError("A review's period needs a first and a last day.")
    q = quarter_of(f.date_from)
    if quarter_bounds(q) == (f.date_from, f.date_to):
        return q
    return f"{f.date_from:%Y-%m-%d} to {f.date_to:%Y-%m-%d}"


def suggest_name(
    f: Filters, selection: str, largest_n: int | None = None, taken: list[str] | tuple[str, ...] = ()
) -> str:
    """A name for a new review, e.g. '2026Q1 won deals'; ' (2)', ' (3)' … when it is taken."""
    what = {
        "all": "closed deals",
        "won": "won deals",
        "lost": "lost deals",
        "largest": f"largest {largest_n or DEFAULT_LARGEST_N} deals",
        "picked": "picked deals",
    }[selection]
    extra = [v for v in (f.segment, f.region, f.owner) if v]
    base = " ".join([period_label(f), what, *extra])
    taken_lower = {t.lower() for t in taken}
    name, n = base, 1
    while name.lower() in taken_lower:
        n += 1
        name = f"{base} ({n})"
    return name


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "review"


def create_review(
    db_path: str | Path,
    name: str,
    filters: Filters,
    selection: str = "all",
    model: str = DEFAULT_MODEL,
    largest_n: int | None = None,
    deal_ids: list[str] | None = None,
) -> str:
    """Save a named review: its agenda (the chosen deals, in meeting order) and its settings.

    Checks everything and writes in one short transaction (retried on a conflict with another
    session). Returns the review_id.
    """
    name = " ".join((name or "").split())
    if not name:
        raise ReviewError("Give the review a name, e.g. “2026Q1 won deals”.")
    if len(name) > MAX_NAME_CHARS:
        raise ReviewError(f"A review's name holds at most {MAX_NAME_CHARS} characters, got {len(name)}.")
    if model not in REVIEW_MODELS:
        raise ReviewError(f"The review's model must be one of {', '.join(REVIEW_MODELS)}, got {model!r}.")
    _check_selection(selection, largest_n, deal_ids)
    path = Path(db_path)
    if not path.exists():
        raise ReviewError(f"No database at {path}.")

    con = db.connect(path, read_only=False)
    try:
        if not _has_review_tables(con):
            # databases built before review_settings existed get it now (every statement is idempotent)
            con.execute(db.sql_text("schema"))

        def work(c: duckdb.DuckDBPyConnection) -> str:
            # checked inside the transaction: another session may be saving a review at the same time
            chosen = select_deals(candidate_deals(c, filters), selection, largest_n, deal_ids)
            if chosen.empty:
                raise ReviewError(
                    f"No closed deal matches “{selection_label(selection, largest_n)}” in "
                    f"{filters.date_from:%d %b %Y} – {filters.date_to:%d %b %Y} with these filters: "
                    "pick another period or clear a filter."
                )
            taken = c.execute("select review_id, name from reviews").fetchall()
            if any(n.lower() == name.lower() for _, n in taken):
                raise ReviewError(f"A review named “{name}” already exists: reopen it, or choose another name.")
            ids = {r for r, _ in taken}
            review_id = _slug(name)
            while review_id in ids:
                review_id = f"{_slug(name)}-{secrets.token_hex(3)}"
            c.execute(
                "insert into reviews (review_id, name, period_from, period_to, model) "
                "values ($review_id, $name, $period_from, $period_to, $model)",
                {
                    "review_id": review_id,
                    "name": name,
                    "period_from": filters.date_from,
                    "period_to": filters.date_to,
                    "model": model,
                },
            )
            c.execute(
                "insert into review_settings values ($review_id, $selection, $largest_n, $segment, "
                "$region, $owner, $lookback_days, $scope)",
                {
                    "review_id": review_id,
                    "selection": selection,
                    "largest_n": int(largest_n or DEFAULT_LARGEST_N) if selection == "largest" else None,
                    "segment": filters.segment,
                    "region": filters.region,
                    "owner": filters.owner,
                    "lookback_days": filters.lookback_days,
                    "scope": filters.scope,
                },
            )
            c.executemany(
                "insert into review_deals (review_id, deal_id, position) values (?, ?, ?)",
                [(review_id, d, int(p)) for d, p in zip(chosen["deal_id"], chosen["position"], strict=True)],
            )
            return review_id

        return db.in_transaction(con, work)
    finally:
        con.close()


# --- reopening a review -----------------------------------------------------------------------------


def _has_review_tables(con: duckdb.DuckDBPyConnection) -> bool:
    found = (
        con.cursor()  # type: ignore[index]  # count(*) gives one row
        .execute(
            "select count(*) from duckdb_tables() where table_name in ('reviews', 'review_deals', 'review_settings')"
        )
        .fetchone()[0]
    )
    return bool(found == 3)


def list_reviews(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved review, newest first, with its settings and progress (reviews_list)."""
    if not _has_review_tables(con):
        # a database from before reviews had settings: nothing can have been saved by this app yet
        return pd.DataFrame(
            columns=[
                "review_id",
                "name",
                "period_from",
                "period_to",
                "model",
                "created_at",
                "selection",
                "largest_n",
                "segment",
                "region",
                "owner",
                "lookback_days",
                "scope",
                "deals",
                "deals_with_verdict",
                "notes",
                "last_note_at",
            ]
        )
    return db.run(con, "reviews_list")


def _none(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else value


def open_review(con: duckdb.DuckDBPyConnection, name: str) -> ReviewInfo | None:
    """The saved review called `name` (or whose id is `name`); None when there is none."""
    rows = list_reviews(con)
    match = rows[(rows["name"] == name) | (rows["review_id"] == name)]
    if match.empty:
        return None
    r = {k: _none(v) for k, v in match.iloc[0].items()}
    filters = Filters(
        date_from=_day(r["period_from"]),
        date_to=_day(r["period_to"]),
        segment=r["segment"],
        region=r["region"],
        owner=r["owner"],
        lookback_days=int(r["lookback_days"] if r["lookback_days"] is not None else DEFAULT_LOOKBACK_DAYS),
        scope=r["scope"] or "account",
    )
    model = r["model"] if r["model"] in REVIEW_MODELS else DEFAULT_MODEL
    return ReviewInfo(
        review_id=r["review_id"],
        name=r["name"],
        filters=filters,
        model=model,
        selection=r["selection"] or "picked",
        largest_n=r["largest_n"],
        created_at=r["created_at"],
        deals=int(r["deals"]),
        deals_with_verdict=int(r["deals_with_verdict"]),
        notes=int(r["notes"]),
    )


def agenda(con: duckdb.DuckDBPyConnection, review_id: str) -> pd.DataFrame:
    """The review's deals in meeting order, with how many notes each team has given on each."""
    return db.run(con, "review_agenda", review_id=review_id)


def period_agenda(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    selection: str = "all",
    largest_n: int | None = None,
    deal_ids: list[str] | None = None,
) -> pd.DataFrame:
    """An agenda that is not saved (the pack of a period): the agenda's columns, with counts
    of every note on each deal."""
    chosen = agenda_preview(con, f, selection, largest_n, deal_ids)
    notes_df = review_notes(con, None, chosen["deal_id"].tolist())
    counts = notes_df.groupby(["deal_id", "team"]).size().unstack(fill_value=0)
    out = chosen.assign(
        marketing_notes=chosen["deal_id"].map(counts.get("marketing", {})).fillna(0).astype(int),
        sales_notes=chosen["deal_id"].map(counts.get("sales", {})).fillna(0).astype(int),
    )
    out["has_verdict"] = (out["marketing_notes"] + out["sales_notes"]) > 0
    return out[AGENDA_COLUMNS]


def resume_position(agenda_df: pd.DataFrame) -> int:
    """Where a reopened review continues: the first deal no team has given a verdict on yet;
    len(agenda) + 1 (the agreement summary) when every deal has one."""
    waiting = agenda_df.loc[~agenda_df["has_verdict"].astype(bool), "position"]
    return int(waiting.iloc[0]) if len(waiting) else len(agenda_df) + 1


# --- the meeting ------------------------------------------------------------------------------------


def record_verdict(
    db_path: str | Path,
    review_id: str,
    deal_id: str,
    team: str,
    verdict: str,
    text: str | None = None,
    touchpoint_id: str | None = None,
    submission_id: str | None = None,
) -> int:
    """Save one team's verdict (and comment) on a deal of the review, or on one of its touches,
    as a retro note carrying the review's id. Returns the note_id. With a `submission_id`, saving
    the same submission again returns the first note and writes nothing (notes.add_note)."""
    con = db.connect(db_path, read_only=True)
    try:
        on_agenda = con.execute(  # type: ignore[index]  # count(*) gives one row
            "select count(*) from review_deals where review_id = $r and deal_id = $d",
            {"r": review_id, "d": deal_id},
        ).fetchone()[0]
    finally:
        con.close()
    if not on_agenda:
        raise ReviewError(f"Deal {deal_id!r} is not on the agenda of review {review_id!r}.")
    return notes.add_note(
        db_path,
        deal_id=deal_id,
        team=team,
        verdict=verdict,
        text=text,
        touchpoint_id=touchpoint_id,
        review_id=review_id,
        submission_id=submission_id,
    )


def review_notes(con: duckdb.DuckDBPyConnection, review_id: str | None, deal_ids: list[str]) -> pd.DataFrame:
    """Every note of the review on its deals (review_id None: every note on the deals), in agenda
    order, with is_current marking each team's latest verdict on a touch or deal. The CSV export."""
    return db.run(con, "review_notes", review_id=review_id, deal_ids=list(deal_ids))


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
