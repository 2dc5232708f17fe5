"""Derived tables: each deal's touches with their positions, built once when the data changes.

Every model and page used to re-join the touchpoints to the deals and sort them by
text ids; at a million deals (ten million touches) that join is most of the time.
`refresh` materializes it for the default matching (lookback 180 days, account scope)
into narrow tables (queries/derived_build.sql):

* ``cl_deal``: a row per deal with an integer ``deal_idx``, its filter columns, touch
  count and its channels / touchpoint types as bit sets;
* ``cl_touch``: a row per deal and touch in journey order with the positions of
  queries/macros.sql (rn, n, n_lc, n_oc), integer key codes, the time-decay credit at
  the default half-life and the last four channels packed into one integer;
* ``cl_key``: the codes' keys; ``cl_meta``: what the tables were built for.

The sample generator and every import call `refresh` inside their transaction, so a
failed import leaves the old tables. Queries read the derived tables only when
`usable` says they match the request and the data (else the exact same figures come,
more slowly, from the source tables); tests hold both paths equal.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from closedloop import db

DEFAULT_LOOKBACK_DAYS = 180
DEFAULT_SCOPE = "account"
DEFAULT_HALF_LIFE_DAYS = 7.0
TABLES = ("cl_key", "cl_touch", "cl_deal", "cl_meta")

# statements of queries/derived_build.sql end with ";" at a line's end
_STATEMENT_END = re.compile(r";[ \t]*\n")


def build_version() -> str:
    """A digest of queries/derived_build.sql: tables built by another version are not used."""
    return hashlib.sha256(db.sql_text("derived_build").encode("utf-8")).hexdigest()[:16]


def _now() -> datetime:
    # timestamps are naive UTC throughout (queries/macros.sql's deal_touches)
    return datetime.now(UTC).replace(tzinfo=None)


def refresh(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> None:
    """(Re)build the derived tables from the source tables, on a writable connection.

    Runs inside the caller's transaction when there is one. `now`: naive UTC time up
    to which open deals' touches count (default: now).
    """
    text = db.sql_text("derived_build")
    params = {
        "lookback_days": DEFAULT_LOOKBACK_DAYS,
        "half_life_days": DEFAULT_HALF_LIFE_DAYS,
        "now": now or _now(),
        "fingerprint": fingerprint(con),
        "build": build_version(),
    }
    for statement in _STATEMENT_END.split(text):
        body = db.strip_comments(statement).strip()
        if not body:
            continue
        used = {k: v for k, v in params.items() if f"${k}" in body}
        con.execute(statement, used)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    # on `con` itself, not a cursor (db.run): a cursor can't see the caller's open transaction
    return str(con.execute(db.sql_text("derived_fingerprint")).fetchone()[0])


def meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """cl_meta as a dict; empty when the derived tables were never built."""
    present = set(db.run(con, "derived_tables_present")["table_name"])
    if not set(TABLES) <= present:
        return {}
    # a key whose value is NULL (latest_touch_at of a database without touchpoints) is left out:
    # pandas reads it as NaN, a float that can't be compared with the other values' strings
    return {k: v for k, v in db.run(con, "derived_meta").itertuples(index=False, name=None)
            if isinstance(v, str)}


def usable(con: duckdb.DuckDBPyConnection, lookback_days: int = DEFAULT_LOOKBACK_DAYS,
           scope: str = DEFAULT_SCOPE) -> bool:
    """True when the derived tables answer a request with this matching exactly.

    They must exist, be built by this version of queries/derived_build.sql for the
    same lookback and scope, match the source
    tables' row counts, and hold every touch up to now: a touch dated after the
    build (a scheduled event, say) would join its open deal's window later.
    """
    m = meta(con)
    if not m:
        return False
    if m.get("build") != build_version():
        return False  # built by another version of queries/derived_build.sql: rebuild with `refresh`
    if m.get("lookback_days") != str(int(lookback_days)) or m.get("scope") != scope:
        return False
    latest, built = m.get("latest_touch_at"), m.get("built_at")
    if latest and built and latest > built:
        return False
    return m.get("fingerprint") == fingerprint(con)


def codes_fit(con: duckdb.DuckDBPyConnection, dimension: str, bits: int = 63) -> bool:
    """Whether a dimension's codes fit a bit set of `bits` bits (cl_deal's masks hold 63)."""
    if dimension not in ("channel", "touchpoint_type"):
        return True  # campaigns and assets are counted from (deal, code) pairs, not bits
    keys = db.run(con, "derived_keys", dimension=dimension)
    return keys.empty or int(keys["code"].max()) <= bits


def status(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What the derived tables hold, for the Data page and `python -m closedloop refresh`."""
    m = meta(con)
    return pd.DataFrame(sorted(m.items()), columns=["key", "value"])


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "refresh",
        help="rebuild the derived tables the models read",
        description="Rebuild the derived tables (docs/performance.md). `import` and `sample` do this "
                    "themselves; run it after changing the database by other means.",
    )
    p.add_argument("--db", type=Path, default=None,
                   help="database file (default: $CLOSEDLOOP_DB or data/closedloop.duckdb)")
    p.add_argument("--if-stale", action="store_true",
                   help="rebuild only when the tables are missing or out of date (`make run` uses this)")
    p.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    path = Path(args.db) if args.db else db.default_db_path()
    if not path.exists():
        raise FileNotFoundError(f"No database at {path}.")
    started = time.monotonic()
    con = db.connect(path, read_only=False)
    try:
        # an older database gains the columns of the current schema first (issue 11: dates_unknown)
        before = db.schema_version(con)
        if before != db.SCHEMA_VERSION:
            db.create_schema(con)
            print(f"Upgraded the schema of {path} from version {before} to {db.SCHEMA_VERSION}.")
        if args.if_stale and usable(con):
            print(f"The derived tables of {path} are up to date.")
            return 0
        con.execute("begin transaction")
        try:
            refresh(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        touches = int(db.run(con, "derived_counts")["touches"].iloc[0])
    finally:
        con.close()
    print(f"Rebuilt the derived tables of {path} in {time.monotonic() - started:.1f}s: {touches:,} deal touches.")
    return 0
