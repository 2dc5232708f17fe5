"""`python -m closedloop refresh`: rebuild the journey tables (docs/performance.md)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from closedloop import db
from closedloop.cli import options
from closedloop.engine.journey_tables import current, refresh, seal


def register(subparsers: Any) -> None:
    p = options.add_command(subparsers, "refresh", _main)
    options.add_db(p)
    p.add_argument(
        "--if-stale",
        action="store_true",
        help="rebuild only when the tables are missing or out of date (`make run` uses this)",
    )


def _main(args: argparse.Namespace) -> int:
    """Rebuild the derived tables (docs/performance.md). `import` and `sample` do this themselves;
    run it after changing the database by other means."""
    path = options.db_path(args)
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
        if args.if_stale and current(con):
            print(f"The derived tables of {path} are up to date.")
            return 0
        con.execute("begin transaction")
        try:
            refresh(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        seal(con)
        touches = int(db.run(con, "derived_counts")["touches"].iloc[0])
    finally:
        con.close()
    print(f"Rebuilt the derived tables of {path} in {time.monotonic() - started:.1f}s: {touches:,} deal touches.")
    return 0
