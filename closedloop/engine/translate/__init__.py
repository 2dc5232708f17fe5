"""queries/*.sql (DuckDB's dialect) translated to Spark SQL with SQLGlot.

The `.sql` files stay the one source of truth. `to_spark(name)` parses a query with
SQLGlot, expands the macros of queries/macros.sql into it (DuckDB runs them as temp
macros; Spark has no equivalent that takes a table-valued body with parameters on a
Connect session, so each call becomes the macro's body with its arguments put in place
of its parameters), rewrites the few constructs whose literal translation would be
wrong, refuses the ones it cannot make right (`NotOnSpark`), and writes Spark SQL with
`unsupported_level=RAISE`. `$name` parameters stay parameters: they become Spark's
named parameters `:name`, bound by `spark.sql(text, args=...)`; no value is ever
formatted into the text. docs/scale-out.md has the table of what translates.

The steps, one module each: names (what Spark reads and builds), macros (expansion), rewrites
(constructs restructured for Spark), guard (what is refused); this module ties them together.
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from closedloop import db
from closedloop.engine.translate.guard import guard
from closedloop.engine.translate.macros import expand_macros
from closedloop.engine.translate.names import (
    APP_TABLES,
    CANONICAL_TABLES,
    JOURNEY_BUILD,
    JOURNEY_TABLES,
    NOT_YET_ON_SPARK,
    NotOnSpark,
)
from closedloop.engine.translate.rewrites import restructure, rewrite

__all__ = [
    "APP_TABLES",
    "CANONICAL_TABLES",
    "JOURNEY_BUILD",
    "JOURNEY_TABLES",
    "NOT_YET_ON_SPARK",
    "NotOnSpark",
    "expand_macros",
    "guard",
    "journey_build",
    "restructure",
    "rewrite",
    "tables_read",
    "to_spark",
]


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


def tables_read(name: str) -> frozenset[str]:
    """The canonical and app tables a query reads once its macros are expanded."""
    tree = expand_macros(_parse(name))
    ctes = _cte_names(tree)
    return frozenset(
        t.name.lower()
        for t in tree.find_all(exp.Table)
        if t.name.lower() in CANONICAL_TABLES + APP_TABLES and t.name.lower() not in ctes and not t.db
    )


@cache
def _parse(name: str) -> exp.Expression:
    statements = [s for s in sqlglot.parse(db.sql_text(name), read="duckdb") if s is not None]
    if len(statements) != 1:
        raise NotOnSpark(f"{name}: a question is one statement, found {len(statements)}")
    return statements[0]


@cache
def to_spark(name: str, schema: str | None = None) -> str:
    """Spark SQL for queries/<name>.sql; `schema`: qualify the canonical tables with it."""
    return _to_spark(_parse(name), name, schema)


@cache
def journey_build(table: str, schema: str | None = None) -> str:
    """Spark SQL that computes journey table `table` (cl_key, cl_deal, cl_touch) from the source
    tables with the macros queries/derived_build.sql stores it with (parameter :now for cl_touch)."""
    return _to_spark(sqlglot.parse_one(JOURNEY_BUILD[table], read="duckdb"), table, schema)


def _to_spark(parsed: exp.Expression, name: str, schema: str | None) -> str:
    if schema is not None and not _SCHEMA.fullmatch(schema):
        raise ValueError(f"A Spark schema is a name or catalog.name (letters, digits, _), got {schema!r}.")
    tree = expand_macros(parsed)
    guard(tree, name)
    tree = tree.transform(restructure).transform(rewrite)
    if schema is not None:
        ctes = _cte_names(tree)
        parts = schema.split(".")
        for table in tree.find_all(exp.Table):
            tname = table.name.lower()
            if tname in CANONICAL_TABLES and tname not in ctes and not table.db:
                table.set("db", exp.to_identifier(parts[-1]))
                if len(parts) == 2:
                    table.set("catalog", exp.to_identifier(parts[0]))
    # comments dropped: they would carry `$name` and text from the file into every request
    return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE, comments=False)
