"""Opening databases and running the named queries in `queries/`.

Every question the product answers is one `queries/<name>.sql` file; values are
bound as `$name` parameters, never formatted into SQL text.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = ROOT / "queries"
# Statements the app runs on its own tables and the import's staging (writes, and the checks made
# inside a write's transaction): queries/statements/<name>.sql, run by `execute` on the connection
# itself, never a cursor of it. They are not questions: no page shows them and Spark never runs them.
STATEMENTS_DIR = QUERIES_DIR / "statements"
DEFAULT_DB = ROOT / "data" / "closedloop.duckdb"
# 1: the first data model; 2: dates_unknown on leads, deals and touchpoints, and
# import_log.rows_skipped / skipped_why (issue 11); 3: the spend table (issue 14). create_schema()
# upgrades an older database.
SCHEMA_VERSION = "3"
# The channels the product defines: the sample's, and the canonical import's lead sources (the
# charts prettify these names; any other key is shown as the data has it).
CANONICAL_CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "display",
    "email",
    "webinar",
    "event",
    "content",
    "syndication",
    "organic_search",
    "website",
    "sales",
)
# The canonical tables of the data model (DESIGN.md), which imports and the sample fill; the app's
# own tables (notes, reviews, import history) are not among them.
CANONICAL_TABLES: tuple[str, ...] = (
    "accounts",
    "contacts",
    "leads",
    "campaigns",
    "touchpoints",
    "deals",
    "deal_contacts",
    "deal_stage_history",
)

# `$name` placeholders; `$$` never appears in our SQL.
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


# The database's own errors, for the pages to catch without importing duckdb (views hold no SQL).
Error = duckdb.Error


class QueryError(ValueError):
    """A named query was asked for wrongly: unknown name, missing or extra parameters."""


def default_db_path() -> Path:
    """The database the app serves: `$CLOSEDLOOP_DB`, else `data/closedloop.duckdb`."""
    return Path(os.environ.get("CLOSEDLOOP_DB") or DEFAULT_DB)


class DatabaseBusy(duckdb.IOException):
    """Another program holds the database file (DuckDB lets one process write, or many read)."""


# One read-write connection per process and database file, shared by every thread of the process
# (the dashboard's sessions): `connect` hands out cursors of it, so code that opens the file by
# path inside the dashboard never meets DuckDB's "different configuration" error, and closing
# what `connect` returned closes a cursor, never the shared connection.
_shared: dict[str, duckdb.DuckDBPyConnection] = {}
_shared_lock = threading.Lock()


def _key(path: str | Path) -> str:
    return str(Path(path).resolve())


def _busy(path: Path, exc: duckdb.Error) -> DatabaseBusy:
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
    who = f" ({holder.group(1).rsplit('/', 1)[-1]}, PID {holder.group(2)})" if holder else ""
    return DatabaseBusy(
        f"The database {path} is in use by another program{who}: DuckDB lets one program write to a "
        "file, or several read it. If that is the dashboard, import from its Data page (or stop it) "
        "and run this command again."
    )


def connect(path: str | Path, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open a Closed Loop database. The app opens read-only; writers pass read_only=False.

    Inside a process that shares the database (`open_shared`, the dashboard), this is a new cursor
    of the shared read-write connection whatever `read_only` says. Raises DatabaseBusy when
    another program holds the file.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(
            f"No database at {path}. Build the sample with "
            f"`python -m closedloop sample --db {path}` or import your data with "
            f"`python -m closedloop import --db {path} ...`."
        )
    with _shared_lock:
        shared = _shared.get(_key(path))
        if shared is not None:
            return shared.cursor()
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise _busy(path, exc) from exc
        raise


def open_shared(path: str | Path) -> duckdb.DuckDBPyConnection:
    """The process's one read-write connection to `path` (opened, and its schema brought up to
    date, on the first call). Use a cursor per query and per thread: `cursor(path)`."""
    key = _key(path)
    with _shared_lock:
        con = _shared.get(key)
        if con is None:
            try:
                con = duckdb.connect(key, read_only=False)
            except duckdb.IOException as exc:
                if "lock" in str(exc).lower():
                    raise _busy(Path(path), exc) from exc
                raise
            create_schema(con)
            _shared[key] = con
        return con


def cursor(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A new cursor of the shared connection to `path` (opened if needed); close it when done."""
    con = open_shared(path)
    with _shared_lock:
        return con.cursor()


def is_shared(path: str | Path) -> bool:
    """Whether this process shares a connection to `path` (`open_shared`): `connect` then gives a
    cursor of it, whose settings are the whole process's."""
    with _shared_lock:
        return _key(path) in _shared


def close_shared(path: str | Path) -> None:
    """Close the process's shared connection to `path` (cursors of it stop working)."""
    with _shared_lock:
        con = _shared.pop(_key(path), None)
    if con is not None:
        con.close()


T = TypeVar("T")
RETRIES = 8


def in_transaction(
    con: duckdb.DuckDBPyConnection, work: Callable[[duckdb.DuckDBPyConnection], T], retries: int = RETRIES
) -> T:
    """Run `work(con)` in one short transaction, committed; rolled back on any error.

    DuckDB's transactions are optimistic: two sessions writing at once can meet a transaction
    conflict (at a statement or at the commit). Those are retried with a short random pause, at
    most `retries` times; every other error is raised at once.
    """
    for attempt in range(retries + 1):
        con.begin()
        try:
            result = work(con)
            con.commit()
            return result
        except duckdb.TransactionException:
            _rollback(con)
            if attempt == retries:
                raise
        except duckdb.ConstraintException as exc:
            # a key another session's uncommitted (now maybe committed) transaction just wrote
            _rollback(con)
            if attempt == retries or "duplicate key" not in str(exc).lower():
                raise
        except BaseException:
            _rollback(con)
            raise
        time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise AssertionError("unreachable")


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.rollback()
    except duckdb.Error:
        pass  # the failed commit already ended the transaction


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    """The version recorded in schema_info, or None for a database without Closed Loop's tables."""
    try:
        row = execute(con, "schema_version_read").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table of the data model and record the schema version.

    Idempotent, and it upgrades a database built by an older version (schema.sql adds the
    newer columns with `add column if not exists`): `import`, `sample` and `refresh` call it.
    """
    con.execute(sql_text("schema"))
    execute(con, "schema_version_record", version=SCHEMA_VERSION)


# Files in queries/ that are not questions: the schema and the shared macros.
_NOT_QUESTIONS = {"schema", "macros", "derived_build"}


def available_queries() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql") if p.stem not in _NOT_QUESTIONS)


def _sql_file(kind: str, folder: Path, name: str) -> str:
    """The text of `folder`/<name>.sql, a query or a statement, by a name checked to be a file name."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise QueryError(f"{kind.capitalize()} names are lowercase words joined by _, got {name!r}.")
    path = folder / f"{name}.sql"
    if not path.exists():
        known = f" Known queries: {', '.join(available_queries())}." if kind == "query" else ""
        raise QueryError(f"Unknown {kind} {name!r}: there is no {path.relative_to(ROOT).as_posix()}.{known}")
    return path.read_text(encoding="utf-8")


@cache
def sql_text(name: str) -> str:
    return _sql_file("query", QUERIES_DIR, name)


def strip_comments(text: str) -> str:
    return _COMMENT.sub("", text)


@cache
def statement_text(name: str) -> str:
    return _sql_file("statement", STATEMENTS_DIR, name)


def execute(con: duckdb.DuckDBPyConnection, name: str, /, **params: Any) -> duckdb.DuckDBPyConnection:
    """Run queries/statements/<name>.sql on `con` itself (inside its transaction, seeing what it has
    registered), its `$name` parameters checked like `run`'s; fetch from what it returns."""
    return con.execute(statement_text(name), bind_statement(name, params))


def scalar(con: duckdb.DuckDBPyConnection, name: str, /, **params: Any) -> Any:
    """The one value a statement answers (a count, an id), by `execute`."""
    row = execute(con, name, **params).fetchone()
    if row is None:
        raise QueryError(f"Statement {name!r} gave no row.")
    return row[0]


def bind_statement(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Statement `name`'s parameters, checked exactly (none missing, none extra)."""
    return _exactly(f"Statement {name!r}", _statement_params(name), params)


@cache
def _statement_params(name: str) -> frozenset[str]:
    return frozenset(_PARAM.findall(strip_comments(statement_text(name))))


@cache
def query_params(name: str) -> frozenset[str]:
    """The `$name` parameters a query binds (comments ignored)."""
    return frozenset(_PARAM.findall(strip_comments(sql_text(name))))


_MACRO = re.compile(r"^create or replace temp macro (\w+)", re.M)


@lru_cache(maxsize=1)
def _macro_definitions() -> dict[str, str]:
    """queries/macros.sql split into one `create macro` statement per name."""
    text = sql_text("macros")
    starts = [(m.start(), m.group(1)) for m in _MACRO.finditer(text)]
    ends = [s for s, _ in starts[1:]] + [len(text)]
    return {name: text[start:end] for (start, name), end in zip(starts, ends, strict=True)}


def _uses(text: str, names: dict[str, str]) -> set[str]:
    return {n for n in names if re.search(rf"\b{n}\s*\(", _COMMENT.sub("", text))}


@cache
def macros_for(name: str) -> str:
    """Only the macros a query uses, with the macros they use, in file order.

    Creating every macro on every cursor cost ~12 ms a query; most queries need one or two.
    """
    return macros_used_by(sql_text(name))


def macros_used_by(sql: str) -> str:
    """The macros a SQL text uses, with the macros they use, in file order."""
    defs = _macro_definitions()
    needed: set[str] = set()
    todo = _uses(sql, defs)
    while todo:
        m = todo.pop()
        if m not in needed:
            needed.add(m)
            todo |= _uses(defs[m], defs) - needed - {m}
    return "".join(body for n, body in defs.items() if n in needed)


@cache
def reads_journeys(name: str) -> bool:
    """Whether a query reads the journey tables (queries/derived_build.sql), itself or in its macros."""
    from closedloop.engine import journey_tables as derived

    return derived.reads_journeys(sql_text(name) + macros_for(name))


def bind(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check that `params` are exactly the parameters of query `name`."""
    return _exactly(f"Query {name!r}", query_params(name), params)


def _exactly(what: str, wanted: frozenset[str], params: dict[str, Any]) -> dict[str, Any]:
    given = set(params)
    missing = sorted(wanted - given)
    extra = sorted(given - wanted)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join('$' + m for m in missing)}")
        if extra:
            parts.append(f"unexpected {', '.join('$' + e for e in extra)}")
        raise QueryError(
            f"{what} takes {', '.join('$' + w for w in sorted(wanted)) or 'no parameters'}; {' and '.join(parts)}."
        )
    return dict(params)


# The engine that answers the data questions in this process (closedloop.engine; None = DuckDB,
# the default). With Spark, `run` hands it every question it serves; what reads only the tables
# the app writes (notes, reviews, import history) stays on `con`, the local DuckDB file.
_engine: Any = None


def use_engine(engine: Any) -> Any:
    """Route `run` through `engine` (None: DuckDB on the given connection); returns the previous one."""
    global _engine
    previous, _engine = _engine, engine
    return previous


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """Run queries/<name>.sql with its `$name` parameters bound; one cursor per query."""
    bound = bind(name, params)
    if _engine is not None and _engine.serves(name):
        return _engine.run(name, **bound)
    cur = con.cursor()
    try:
        # temp macros live per connection, and a cursor is a new connection
        if reads_journeys(name):
            # computed from the source tables while the stored ones are stale (closedloop/engine/journey_tables.py)
            from closedloop.engine import journey_tables as derived

            derived.attach(con, cur)
        macros = macros_for(name)
        if macros:
            cur.execute(macros)
        return cur.execute(sql_text(name), bound).df()
    finally:
        cur.close()
