"""Retrospective notes: what each team says mattered on a closed deal.

`add_note` is the app's only write to the deals data. It checks everything and
writes one row in one short transaction (retried on a transaction conflict with
another session). Inside the dashboard the connection is a cursor of the process's
shared read-write connection (db.open_shared); from the CLI it opens the file.

A `submission_id` (one per form the dashboard shows) makes a save idempotent: a
second save with the same id (a retry after an error, a double click) returns the
first note's id and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from closedloop import db

TEAMS = ("marketing", "sales")
VERDICTS = ("critical", "helpful", "noise")
MAX_TEXT_CHARS = 2000


class NoteError(ValueError):
    """A note that can't be saved; the message says why and what to do."""


def add_note(
    db_path: str | Path,
    deal_id: str,
    team: str,
    verdict: str,
    text: str | None,
    touchpoint_id: str | None = None,
    review_id: str | None = None,
    submission_id: str | None = None,
) -> int:
    """Save one retrospective note on a deal (or on one of its touches) and return its note_id.

    With a `submission_id`, saving the same submission again returns the note it saved and
    writes nothing.

    A touch belongs to the deal when it is a touch of the deal's account or of
    one of the deal's contacts. The comment is optional; the verdict is not.
    """
    if team not in TEAMS:
        raise NoteError(f"Team must be one of {', '.join(TEAMS)}, got {team!r}.")
    if verdict not in VERDICTS:
        raise NoteError(f"Verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}.")
    text = (text or "").strip() or None
    if text is not None and len(text) > MAX_TEXT_CHARS:
        raise NoteError(f"A comment holds at most {MAX_TEXT_CHARS:,} characters, got {len(text):,}.")
    path = Path(db_path)
    if not path.exists():
        raise NoteError(f"No database at {path}.")

    if submission_id is not None and not (0 < len(submission_id) <= 100):
        raise NoteError("A submission id holds 1 to 100 characters.")
    try:
        con = db.connect(path, read_only=False)
    except duckdb.Error as e:
        # DuckDB lets one process write, or many read: another program has the file open
        raise NoteError(
            f"The database {path.name} is open elsewhere, so the note couldn't be saved; "
            f"try again in a moment. ({str(e).splitlines()[0]})"
        ) from e
    try:
        if submission_id is not None:
            _ensure_submissions(con)

        def work(c: duckdb.DuckDBPyConnection) -> int:
            if submission_id is not None:
                done = db.execute(c, "note_submission_of", submission_id=submission_id).fetchone()
                if done is not None:
                    return int(done[0])
            note_id = _insert(c, deal_id, team, verdict, text, touchpoint_id, review_id)
            if submission_id is not None:
                db.execute(c, "note_submission_record", submission_id=submission_id, note_id=note_id)
            return note_id

        return db.in_transaction(con, work)
    finally:
        con.close()


def _ensure_submissions(con: duckdb.DuckDBPyConnection) -> None:
    """Databases built before note_submissions existed get it (the dashboard's shared connection
    creates it when it opens)."""
    if not db.scalar(con, "app_tables_present", tables=["note_submissions"]):
        con.execute(db.sql_text("schema"))


def _insert(
    con: duckdb.DuckDBPyConnection,
    deal_id: str,
    team: str,
    verdict: str,
    text: str | None,
    touchpoint_id: str | None,
    review_id: str | None,
) -> int:
    # asked of wherever the data lives (db.run: Spark when the engine is), not of this file
    target = db.run(con, "note_target", deal_id=deal_id, touchpoint_id=touchpoint_id).iloc[0]
    if not target["deals_found"]:
        raise NoteError(f"There is no deal {deal_id!r}.")
    if touchpoint_id is not None:
        if not target["touches_found"]:
            raise NoteError(f"There is no touchpoint {touchpoint_id!r}.")
        if not (target["on_account"] or target["on_contact"]):
            raise NoteError(
                f"Touchpoint {touchpoint_id!r} is not a touch of deal {deal_id!r}: it belongs to "
                f"another account and to none of the deal's contacts."
            )
    if review_id is not None:
        if not db.scalar(con, "review_exists", review_id=review_id):
            raise NoteError(f"There is no review {review_id!r}.")
    row = db.execute(
        con,
        "note_insert",
        deal_id=deal_id,
        touchpoint_id=touchpoint_id,
        team=team,
        verdict=verdict,
        text=text,
        review_id=review_id,
    ).fetchone()
    return int(row[0])  # type: ignore[index]  # count(*) gives one row


def notes_for_deal(con: duckdb.DuckDBPyConnection, deal_id: str) -> pd.DataFrame:
    """Every note on the deal, newest first, with the touch it is about (if any)."""
    return db.run(con, "retro_notes_for_deal", deal_id=deal_id)
