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


def _named(table: str, alias: str | None = None) -> exp.Table:
    return exp.Table(this=exp.to_identifier(table, quoted=True), alias=_alias(alias))


def _alias(alias: str | None) -> exp.TableAlias | None:
    return exp.TableAlias(this=exp.to_identifier(alias)) if alias else None


def column(name: str, table: str | None = None) -> exp.Column:
    """A staged table's column by name (quoted), optionally of the table aliased `table`."""
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table) if table else None)


def rows_of(source: str, alias: str | None = None) -> exp.Table | exp.Subquery:
    """What a select reads: a staged table by name, or the parenthesized select of the validator
    (its good rows, `Run.good`), optionally aliased."""
    if source.startswith("("):
        return exp.Subquery(this=sqlglot.parse_one(source[1:-1], read="duckdb"), alias=_alias(alias))
    return _named(source, alias)


def create_temp(name: str, select: exp.Expr, kind: str = "TABLE", replace: bool = False) -> str:
    """The DDL that creates the temp table (or view) `name` as `select`, the name quoted."""
    return exp.Create(
        this=_named(name),
        kind=kind,
        replace=replace,
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
        expression=select,
    ).sql(dialect="duckdb")


def delete_where(name: str, condition: exp.Expr) -> str:
    """The statement that deletes the rows of staged table `name` where `condition` holds."""
    return exp.Delete(this=_named(name), where=exp.Where(this=condition)).sql(dialect="duckdb")


def into_temp_statement(
    table: str, name: str, /, *, row_limit: int | None = None, **params: Any
) -> tuple[str, dict[str, Any]]:
    """The SQL and checked parameters that run statement `name` (a select) into the temp table
    `table`, replacing it, for a caller that runs it itself (to watch its progress); at most
    `row_limit` rows when given (none: no LIMIT at all, which would make a scan single-threaded).

    A staged table's name (an import run's, unique to the run) can't be bound as a parameter:
    SQLGlot puts it in as a quoted identifier around the statement, no text is formatted.
    """
    select = _statement_select(name).copy()
    bound = db.bind_statement(name, params)
    if row_limit is not None:
        assert isinstance(select, exp.Select)  # a statement run into a table is a select
        select = select.limit(exp.Placeholder(this="row_limit"))
        bound["row_limit"] = int(row_limit)
    return create_temp(table, select, replace=True), bound


def select_statement(name: str, /, **params: Any) -> tuple[str, dict[str, Any]]:
    """Statement `name` (a select) as SQL, with its checked parameters, for a caller to read from."""
    return _statement_select(name).sql(dialect="duckdb"), db.bind_statement(name, params)


def into_temp(con: duckdb.DuckDBPyConnection, table: str, name: str, /, **params: Any) -> None:
    """Run statement `name` (a select) into the temp table `table`, replacing it."""
    con.execute(*into_temp_statement(table, name, **params))


def insert_into(con: duckdb.DuckDBPyConnection, table: str, name: str, /, **params: Any) -> None:
    """Insert what statement `name` (a select) answers into `table`, named like `into_temp`'s."""
    insert = exp.Insert(this=_named(table), expression=_statement_select(name).copy())
    con.execute(insert.sql(dialect="duckdb"), db.bind_statement(name, params))
