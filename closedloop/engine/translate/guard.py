"""What SQLGlot would translate without complaint but wrongly: refused with the reason."""

from __future__ import annotations

from sqlglot import exp

from closedloop.engine.translate.names import JOURNEY_TABLES, NotOnSpark
from closedloop.engine.translate.rewrites import bracket, ordered_aggregate, zipped_unnest


def guard(tree: exp.Expression, name: str) -> None:
    """Raise on what SQLGlot would translate without complaint but wrongly."""
    for node in tree.walk():
        if (
            isinstance(node, exp.AggFunc)
            and isinstance(node.this, exp.Order)
            and not isinstance(node, exp.GroupConcat)
            and ordered_aggregate(node) is None
        ):
            raise NotOnSpark(
                f"{name}: ordered aggregate {node.sql('duckdb')!r} — Spark's COLLECT_LIST would drop the "
                f"order; sort an array of structs instead (docs/scale-out.md)"
            )
        if isinstance(node, exp.TimeToUnix):
            raise NotOnSpark(
                f"{name}: epoch() keeps fractions of a second in DuckDB but Spark's UNIX_TIMESTAMP drops "
                f"them; use date_diff('second', ...) or whole-second arithmetic (docs/scale-out.md)"
            )
        if isinstance(node, exp.Bracket) and bracket(node) is None:
            raise NotOnSpark(
                f"{name}: {node.sql('duckdb')!r}: a list slice other than [:n] or [-n:] (DuckDB counts from 1, "
                f"Spark from 0)"
            )
        if (
            isinstance(node, exp.Select)
            and sum(isinstance(e.unalias(), exp.Explode | exp.Unnest) for e in node.expressions) > 1
            and zipped_unnest(node) is None
        ):
            raise NotOnSpark(
                f"{name}: several unnest() in one select — DuckDB zips the lists, Spark's EXPLODEs multiply "
                f"them; unnest one list of structs instead (docs/scale-out.md)"
            )
        if (
            isinstance(node, exp.Table)
            and node.name.lower().startswith("cl_")
            and node.name.lower() not in JOURNEY_TABLES
        ):
            raise NotOnSpark(f"{name}: reads the DuckDB-only derived table {node.name}")
        if isinstance(node, exp.Table) and node.db.lower() == "information_schema":
            raise NotOnSpark(f"{name}: reads DuckDB's information_schema")
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            raise NotOnSpark(f"{name}: calls DuckDB's table function {node.this.name}()")
