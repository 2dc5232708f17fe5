"""The journey tables: each deal's touches with their positions, stored once for every setting.

Every model and page would otherwise re-join the touchpoints to the deals and sort them; at a
million deals (ten million touches) that join is most of the time. `refresh` materializes it
(queries/derived_build.sql, from the macros of queries/macros.sql) for both scopes and the
longest lookback (730 days), so that any lookback, scope and half-life reads the same rows:

* ``cl_deal``: a row per deal with an integer ``deal_idx`` and its filter columns;
* ``cl_touch``: a row per scope, deal and touch in journey order with the positions (ord, n,
  n_lc, n_oc), lb_days / first_lb (a shorter lookback's window is a suffix of the journey),
  integer key codes, the time-decay share at the default half-life and the last channels packed
  into one integer;
* ``cl_key``: the codes' keys; ``cl_meta``: what the tables were built from.

The sample generator and every import build them inside their transaction (an import that only
adds touches rebuilds just the deals they reach: `refresh_added`), so a failed import leaves the
old tables. When `current` says they no longer match the source tables, queries read temporary
views of the same macros instead (`attach`): the same figures, more slowly. SQL lives in
queries/statements/*.sql (db.execute / db.scalar).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from closedloop import db
from closedloop.filters import MAX_LOOKBACK_DAYS  # noqa: F401 (the journey tables' span, defined once)

TABLES = ("cl_key", "cl_touch", "cl_deal", "cl_meta")
# queries/statements/ that compute the journey tables from the source tables (queries/macros.sql),
# in build order
_VIEWS = ("journey_view_key", "journey_view_deal", "journey_view_touch")

# the build of cl_touch goes this many deals at a time (queries/derived_build.sql): its memory is
# that of one slice (the import runs under a 1.5 GB limit). Each slice scans every touchpoint once:
# at 1M deals, slices of 500,000 rather than 250,000 took the import's build from 45 to 42 s of CPU
# (peak 1.86 GB, the import's staged tables already dropped); every deal at once ran out of memory
SLICE_DEALS = 500_000
# the parts of queries/derived_fingerprint.sql's digest, in its order, one per source table
FINGERPRINT_PARTS = ("deals", "touchpoints", "accounts", "contacts", "leads", "deal_contacts")
# statements of queries/derived_build.sql end with ";" at a line's end
_STATEMENT_END = re.compile(r";[ \t]*\n")
# a query reads the journey tables when its text or its macros name one of them
_READS_JOURNEYS = re.compile(r"\b(from|join)\s+cl_(touch|deal|key)\b")

# database file state -> the fingerprint verified for it, in this process
# database file state -> whether the stored tables were current in it: a page asks once per
# state, not once per query (4 catalog checks a rerun on the Attribution page before)
_verified: dict[tuple[object, ...], bool] = {}


def build_version() -> str:
    """A digest of queries/derived_build.sql and the macros it builds from."""
    text = db.sql_text("derived_build") + db.sql_text("macros")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _now() -> datetime:
    # timestamps are naive UTC throughout (queries/macros.sql's utc_now)
    return datetime.now(UTC).replace(tzinfo=None)


def refresh(con: duckdb.DuckDBPyConnection, now: datetime | None = None, keep_deals: bool = False) -> None:
    """(Re)build the journey tables from the source tables, on a writable connection.

    Runs inside the caller's transaction when there is one. `now`: naive UTC time up
    to which open deals' touches count (default: now). keep_deals: keep the stored cl_deal
    when this build made it from the same rows of every table it reads (the import, after
    touchpoints alone changed); the refresh command rebuilds it all.
    """
    text = db.sql_text("derived_build")
    digest, build = fingerprint(con), build_version()
    params = {"now": now or _now(), "fingerprint": digest, "build": build}
    # 1.4-1.9 s of the import of 10.5M touchpoints at 1M deals (8 runs)
    skip = "cl_deal" if keep_deals and _deals_unchanged(con, digest, build) else None
    for statement in _STATEMENT_END.split(text):
        body = db.strip_comments(statement).strip()
        if not body or (skip and body.startswith(f"create or replace table {skip} ")):
            continue
        used = {k: v for k, v in params.items() if f"${k}" in body}
        # a macro binds its tables when created: create each statement's macros just before it
        con.execute(db.macros_used_by(body))
        if "$deal_idxs" not in body:
            con.execute(statement, used)
            continue
        deals = int(db.scalar(con, "journey_deal_count"))
        for first in range(1, deals + 1, SLICE_DEALS):
            con.execute(statement, {**used, "deal_idxs": list(range(first, min(first + SLICE_DEALS, deals + 1)))})
    _verified.clear()


def _deal_parts(digest: str | None) -> dict[str, str] | None:
    """The parts of a row digest for the tables cl_deal is made from (every one but touchpoints:
    queries/macros.sql's journey_deal_rows)."""
    parts = (digest or "").split(",")
    if len(parts) != len(FINGERPRINT_PARTS):
        return None
    return {t: p for t, p in zip(FINGERPRINT_PARTS, parts, strict=True) if t != "touchpoints"}


def _deals_unchanged(con: duckdb.DuckDBPyConnection, digest: str, build: str) -> bool:
    """Whether the stored cl_deal was built, by this build, from the rows every table it reads
    holds now (their parts of the row digest stored in cl_meta and of `digest`). Read on `con`,
    in the caller's transaction."""
    present = {r[0] for r in con.execute(db.sql_text("derived_tables_present")).fetchall()}
    if not set(TABLES) <= present:
        return False
    stored = dict(con.execute(db.sql_text("derived_meta")).fetchall())
    before = _deal_parts(stored.get("fingerprint"))
    return stored.get("build") == build and before is not None and before == _deal_parts(digest)


def touchpoint_mark(con: duckdb.DuckDBPyConnection) -> int:
    """Before an import writes: the rowid from which touchpoints it inserts will be numbered."""
    return int(db.scalar(con, "touchpoint_mark"))


def refresh_added(con: duckdb.DuckDBPyConnection, mark: int, now: datetime | None = None) -> int | None:
    """After an import that only inserted touchpoints (rowid >= `mark`) into a database whose
    journey tables were current: rebuild the journeys of the deals those touches can join (deals
    of their accounts, deals with their contacts) and nothing else, in the caller's transaction.
    Exact: every other deal's touches, order and positions are unchanged, and so is every other
    table. Returns the number of deals rebuilt, or None when the new touches bring a key that
    cl_key lacks (a new channel, campaign...: the codes would change, so the caller rebuilds
    everything with `refresh`)."""
    missing = db.scalar(con, "journey_keys_missing", mark=mark)
    if missing:
        return None
    deals = [int(r[0]) for r in db.execute(con, "journey_deals_touched", mark=mark).fetchall()]
    at = now or _now()
    if deals:
        db.execute(con, "journey_touch_delete", deals=deals)
        # a macro binds its tables when created: create the insert's macros just before it
        con.execute(db.macros_used_by(db.statement_text("journey_touch_insert")))
        for scope in ("account", "contact_roles"):
            for first in range(0, len(deals), SLICE_DEALS):
                db.execute(con, "journey_touch_insert", scope=scope, now=at, deals=deals[first : first + SLICE_DEALS])
    # what the tables now hold: built up to `at`, from the source tables as they are now
    db.execute(con, "journey_meta_rebuilt", now=at, fingerprint=fingerprint(con))
    db.execute(con, "journey_meta_storage_clear")
    _verified.clear()
    return len(deals)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    # on `con` itself, not a cursor (db.run): a cursor can't see the caller's open transaction
    return str(con.execute(db.sql_text("derived_fingerprint")).fetchall()[0][0])


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """cl_meta as a dict; empty when the journey tables were never built."""
    present = set(db.run(con, "derived_tables_present")["table_name"])
    if not set(TABLES) <= present:
        return {}
    # a value can be null (latest_touch_at of a database without touchpoints): None, never NaN
    return {
        str(k): (v if isinstance(v, str) else None)
        for k, v in db.run(con, "derived_meta").itertuples(index=False, name=None)
    }


def _file_state(con: duckdb.DuckDBPyConnection) -> tuple[object, ...] | None:
    """The database file's and its WAL's (size, mtime): any committed write changes one of them."""
    path = db.execute(con, "database_path").fetchall()[0]
    if not path or not path[0]:
        return None  # in memory: verify every time
    state: list[object] = [path[0]]
    for p in (Path(path[0]), Path(str(path[0]) + ".wal")):
        try:
            st = p.stat()
            state += [st.st_size, st.st_mtime_ns]
        except OSError:
            state += [None, None]
    return tuple(state)


def storage(con: duckdb.DuckDBPyConnection) -> str:
    """queries/derived_storage.sql's digest of where the source tables keep their rows."""
    return str(con.execute(db.sql_text("derived_storage")).fetchall()[0][0])


def seal(con: duckdb.DuckDBPyConnection) -> None:
    """After a build is committed: checkpoint, and record the source tables' storage digest in
    cl_meta, so that a later process knows them unchanged from metadata alone. Outside a
    transaction only; without it `current` falls back to the row digest (about 1 s at 10M)."""
    if not meta(con):
        return
    try:
        db.execute(con, "database_checkpoint")
        digest = storage(con)
        db.execute(con, "journey_meta_storage_clear")
        db.execute(con, "journey_meta_storage_insert", digest=digest)
        db.execute(con, "database_checkpoint")
    except duckdb.Error:
        # another session of a shared connection is writing (no checkpoint now): the first
        # query of each process verifies by the row digest instead
        return


def current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the stored journey tables hold exactly what the source tables give now.

    They must exist, be built by this version of the build and macros, hold every touch up
    to now (a touch dated after the build, a scheduled event say, would join its open
    deal's window later), and the source tables must be unchanged since the build: their
    storage digest (metadata, milliseconds) still the one sealed after the build, or else
    their row digest (about 1 s at 10M touchpoints) still the build's. Any insert, delete or
    update since (a write that bypassed `import`) makes them stale. The answer, yes or no, is
    remembered per state of the database file (its and its WAL's size and mtime) in this process.
    """
    state = _file_state(con)
    if state is not None and state in _verified:
        return _verified[state]
    ok = _current(con)
    if state is not None:
        _verified[state] = ok
    return ok


def _current(con: duckdb.DuckDBPyConnection) -> bool:
    m = meta(con)
    if not m or m.get("build") != build_version():
        return False
    latest, built = m.get("latest_touch_at"), m.get("built_at")
    if latest and built and latest > built:
        return False
    return (m.get("storage") is not None and m.get("storage") == storage(con)) or m.get("fingerprint") == fingerprint(
        con
    )


def reads_journeys(sql: str) -> bool:
    return bool(_READS_JOURNEYS.search(db.strip_comments(sql)))


def attach(con: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection) -> None:
    """Before a query that reads the journey tables, on its cursor: when the stored tables
    are not current, temporary views of the same names compute them from the source tables
    with the same macros, so the figures are right (and slower) until `refresh` or the next
    import rebuilds them. The Data page says so (`status`)."""
    if current(con):
        return
    for view in _VIEWS:
        # a macro binds its tables when created: each view's macros after the views they read
        cur.execute(db.macros_used_by(db.statement_text(view)))
        db.execute(cur, view)


def usable(con: duckdb.DuckDBPyConnection, *_: object, **__: object) -> bool:
    """Whether the stored journey tables are current (else queries compute them as they go); they
    serve every lookback and scope, so any given are ignored."""
    return current(con)


def status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the journey tables hold, for the Data page and `python -m closedloop refresh`."""
    m = meta(con)
    return pd.DataFrame(sorted(m.items()), columns=["key", "value"])
