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

The store (saving, reopening, recording verdicts) is here; common holds what it shares with the
meeting's steps (a deal of the agenda, the agreement summary).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Concatenate, ParamSpec

import duckdb
import pandas as pd

from closedloop import db
from closedloop.filters import DEFAULT_LOOKBACK_DAYS, Filters, quarter_bounds, quarter_of
from closedloop.meeting import notes
from closedloop.meeting.reviews.common import (
    AGENDA_COLUMNS,
    DEFAULT_LARGEST_N,
    DEFAULT_MODEL,
    MAX_NAME_CHARS,
    REVIEW_MODELS,
    SELECTIONS,
    ReviewError,
    ReviewInfo,
    _check_selection,
    _day,
    _none,
    review_notes,
    selection_label,
    slug,
)
from closedloop.meeting.reviews.steps import Agreement, DealStep, agreement, deal_step

P = ParamSpec("P")

__all__ = [
    "AGENDA_COLUMNS",
    "Agreement",
    "DEFAULT_LARGEST_N",
    "DEFAULT_MODEL",
    "DealStep",
    "MAX_NAME_CHARS",
    "REVIEW_MODELS",
    "ReviewError",
    "ReviewInfo",
    "SELECTIONS",
    "agenda",
    "agenda_preview",
    "agreement",
    "candidate_deals",
    "create_review",
    "deal_step",
    "list_reviews",
    "open_review",
    "period_agenda",
    "period_label",
    "record_verdict",
    "resume_position",
    "review_notes",
    "select_deals",
    "selection_label",
    "slug",
    "suggest_name",
]


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
            taken = db.execute(c, "reviews_taken").fetchall()
            if any(n.lower() == name.lower() for _, n in taken):
                raise ReviewError(f"A review named “{name}” already exists: reopen it, or choose another name.")
            ids = {r for r, _ in taken}
            review_id = slug(name)
            while review_id in ids:
                review_id = f"{slug(name)}-{secrets.token_hex(3)}"
            db.execute(
                c,
                "review_insert",
                review_id=review_id,
                name=name,
                period_from=filters.date_from,
                period_to=filters.date_to,
                model=model,
            )
            db.execute(
                c,
                "review_settings_insert",
                review_id=review_id,
                selection=selection,
                largest_n=int(largest_n or DEFAULT_LARGEST_N) if selection == "largest" else None,
                segment=filters.segment,
                region=filters.region,
                owner=filters.owner,
                lookback_days=filters.lookback_days,
                scope=filters.scope,
            )
            db.execute(
                c,
                "review_deals_insert",
                review_id=review_id,
                deal_ids=[str(d) for d in chosen["deal_id"]],
                positions=[int(p) for p in chosen["position"]],
            )
            return review_id

        return db.in_transaction(con, work)
    finally:
        con.close()


# --- reopening a review -----------------------------------------------------------------------------


def _has_review_tables(con: duckdb.DuckDBPyConnection) -> bool:
    tables = ["reviews", "review_deals", "review_settings"]
    cur = con.cursor()
    try:
        return bool(db.scalar(cur, "app_tables_present", tables=tables) == len(tables))
    finally:
        cur.close()


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


def _counting_notes(
    preview: Callable[Concatenate[duckdb.DuckDBPyConnection, P], pd.DataFrame],
) -> Callable[Concatenate[duckdb.DuckDBPyConnection, P], pd.DataFrame]:
    """An agenda that is not saved, of the deals `preview` picks (with its arguments): the
    agenda's columns, with counts of every note on each deal."""

    def counted(con: duckdb.DuckDBPyConnection, /, *args: P.args, **kwargs: P.kwargs) -> pd.DataFrame:
        chosen = preview(con, *args, **kwargs)
        notes_df = review_notes(con, None, chosen["deal_id"].tolist())
        counts = notes_df.groupby(["deal_id", "team"]).size().unstack(fill_value=0)
        out = chosen.assign(
            marketing_notes=chosen["deal_id"].map(counts.get("marketing", {})).fillna(0).astype(int),
            sales_notes=chosen["deal_id"].map(counts.get("sales", {})).fillna(0).astype(int),
        )
        out["has_verdict"] = (out["marketing_notes"] + out["sales_notes"]) > 0
        return out[AGENDA_COLUMNS]

    return counted


# The pack of a period: agenda_preview's deals (con, f, selection, largest_n, deal_ids) as an agenda
# that is not saved, with counts of every note on each deal.
period_agenda = _counting_notes(agenda_preview)


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
        on_agenda = db.scalar(con, "review_deal_on_agenda", review_id=review_id, deal_id=deal_id)
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
