"""A statement (queries/statements/*.sql, a select) run into an import run's staged table.

A staged table's name (an import run's, unique to the run) can't be bound as a parameter:
SQLGlot puts it in as a quoted identifier around the statement, no text is formatted. SQLGlot is
imported here, not by `closedloop.db`: only the import needs it, and the layer every command
imports stays ~0.2 s lighter to load.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from closedloop import db


@lru_cache(maxsize=64)
def _statement_select(name: str) -> exp.Expr:
    return sqlglot.parse_one(db.strip_comments(db.statement_text(name)), read="duckdb")


def _named(table: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table, quoted=True))


def into_temp_statement(table: str, name: str, /, **params: Any) -> tuple[str, dict[str, Any]]:
    """The SQL and checked parameters that run statement `name` (a select) into the temp table
    `table`, replacing it, for a caller that runs it itself (to watch its progress).

    A staged table's name (an import run's, unique to the run) can't be bound as a parameter:
    SQLGlot puts it in as a quoted identifier around the statement, no text is formatted.
    """
    create = exp.Create(
        this=_named(table),
        kind="TABLE",
        replace=True,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        expression=_statement_select(name).copy(),
    )
    return create.sql(dialect="duckdb"), db.bind_statement(name, params)


def into_temp(con: duckdb.DuckDBPyConnection, table: str, name: str, /, **params: Any) -> None:
    """Run statement `name` (a select) into the temp table `table`, replacing it."""
    con.execute(*into_temp_statement(table, name, **params))


def insert_into(con: duckdb.DuckDBPyConnection, table: str, name: str, /, **params: Any) -> None:
    """Insert what statement `name` (a select) answers into `table`, named like `into_temp`'s."""
    insert = exp.Insert(this=_named(table), expression=_statement_select(name).copy())
    con.execute(insert.sql(dialect="duckdb"), db.bind_statement(name, params))
