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
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from closedloop import db

# The canonical tables of the data model (DESIGN.md): what Spark reads from its source.
CANONICAL_TABLES = (
    "accounts",
    "contacts",
    "leads",
    "campaigns",
    "touchpoints",
    "deals",
    "deal_contacts",
    "deal_stage_history",
)
# Written by the app: they stay in the local DuckDB file (CLOSEDLOOP_DB) and are shipped to
# Spark as small temporary views when a query reads them.
APP_TABLES = ("retro_notes", "reviews", "review_deals", "review_settings", "import_log", "import_rejects")

# Queries that do not run on Spark yet, and why (tests/test_spark_translate.py holds every
# other queries/*.sql to translating). Issue 15 is rewriting the attribution engine; its
# queries are checked again when it merges.
_EPOCH_AND_UNNEST = "epoch() (fractions of a second lost in Spark) and a parallel unnest (a cross product in Spark)"
# issue 15's engine reads every deal's journey from the stored journey tables (cl_touch, cl_deal,
# cl_key; queries/derived_build.sql), which Spark does not build yet
_JOURNEYS = "reads the journey tables (cl_*, queries/derived_build.sql), not built on Spark yet"
NOT_YET_ON_SPARK: dict[str, str] = {
    "attribution_closed_totals": _JOURNEYS,
    "data_quality_deals_without_touchpoints": _JOURNEYS,
    "touchpoint_lift": _JOURNEYS,
    "derived_storage": "reads DuckDB's storage metadata (pragma_storage_info()) to tell the journey tables current",
    "derived_counts": "maintains DuckDB's derived tables",
    "derived_keys": "maintains DuckDB's derived tables",
    "derived_meta": "maintains DuckDB's derived tables",
    "derived_tables_present": "reads DuckDB's catalog (duckdb_tables())",
    "attribution_markov_transitions": "ordered list() of a journey's channels: Spark's COLLECT_LIST drops the order",
    "journey_paths": "ordered list() of a journey's channels: Spark's COLLECT_LIST drops the order",
    "attribution_shapley_coalitions": "ordered array_agg() of a deal's channel set: COLLECT_LIST drops the order",
    "pipeline_influence": "first(team order by ...): Spark's FIRST takes no order (arg_min over a struct would do)",
    "attribution_touch_credit": _EPOCH_AND_UNNEST,
    "attribution_receipt": _EPOCH_AND_UNNEST,
    "attribution_rollup": _EPOCH_AND_UNNEST,
}


class NotOnSpark(ValueError):
    """A query uses a construct whose Spark translation would be wrong, or that Spark lacks."""


# --- macros -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _macros() -> dict[str, tuple[list[str], exp.Expression, bool]]:
    """queries/macros.sql as {name: (parameters, body, is_table_macro)}."""
    out: dict[str, tuple[list[str], exp.Expression, bool]] = {}
    for stmt in sqlglot.parse(db.sql_text("macros"), read="duckdb"):
        if not isinstance(stmt, exp.Create) or str(stmt.args.get("kind", "")).upper() != "MACRO":
            raise NotOnSpark("queries/macros.sql holds a statement that is not a macro")
        udf = stmt.this
        name = udf.this.name.lower()
        params = [p.name.lower() for p in udf.expressions]
        body = stmt.expression
        out[name] = (params, body, isinstance(body, exp.Query))
    return out


def _substitute(body: exp.Expression, params: list[str], args: list[exp.Expression], name: str) -> exp.Expression:
    if len(args) != len(params):
        raise NotOnSpark(f"macro {name} takes {len(params)} arguments, got {len(args)}")
    by_name = dict(zip(params, args, strict=True))

    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name.lower() in by_name:
            arg = by_name[node.name.lower()].copy()
            # keep precedence: an argument like `a + b` must stay one operand
            keep = exp.Column | exp.Literal | exp.Placeholder | exp.Null | exp.Subquery | exp.Array
            return arg if isinstance(arg, keep) else exp.Paren(this=arg)
        return node

    return body.copy().transform(put)


def expand_macros(tree: exp.Expression) -> exp.Expression:
    """Replace every call of a queries/macros.sql macro by its body (table macros as a subquery)."""
    macros = _macros()
    for _ in range(20):  # macros call macros; 20 levels is far more than macros.sql nests
        changed = False

        def expand(node: exp.Expression) -> exp.Expression:
            nonlocal changed
            if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
                fname = node.this.name.lower()
                if fname in macros and macros[fname][2]:
                    params, body, _ = macros[fname]
                    changed = True
                    alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(fname))
                    return exp.Subquery(this=_substitute(body, params, node.this.expressions, fname), alias=alias)
            if isinstance(node, exp.Anonymous) and not isinstance(node.parent, exp.Table):
                fname = node.name.lower()
                if fname in macros and not macros[fname][2]:
                    params, body, _ = macros[fname]
                    changed = True
                    return exp.Paren(this=_substitute(body, params, node.expressions, fname))
            return node

        tree = tree.transform(expand)
        if not changed:
            return tree
    raise NotOnSpark("macros nest deeper than 20 levels")


# --- rewrites and guards ----------------------------------------------------------------------


def _rewrite(node: exp.Expression) -> exp.Expression:
    # DuckDB's date_diff('day', a, b) counts the day boundaries between two timestamps; Spark's
    # DATEDIFF(DAY, a, b) is TIMESTAMPDIFF: whole 24-hour days. On dates the two agree.
    if isinstance(node, exp.DateDiff):
        unit = (node.text("unit") or "day").lower()
        if unit == "day":
            node = node.copy()
            for key in ("this", "expression"):
                arg = node.args[key]
                if not (isinstance(arg, exp.Cast) and arg.to.this == exp.DataType.Type.DATE):
                    node.set(key, exp.Cast(this=arg, to=exp.DataType.build("date")))
            return node
        if unit in ("microsecond", "microseconds"):
            return node  # exact in both: timestamps hold microseconds
        if unit == "second":
            # boundaries of seconds crossed = whole seconds between the truncated times
            node = node.copy()
            for key in ("this", "expression"):
                node.set(key, exp.TimestampTrunc(this=node.args[key], unit=exp.var("second")))
            return node
        raise NotOnSpark(f"date_diff('{unit}', ...) counts boundaries in DuckDB and whole units in Spark")
    # A literal such as 3600.0 is a DECIMAL in both, but DuckDB divides decimals into a DOUBLE while
    # Spark keeps a DECIMAL rounded to 6 places (0.816667 for 0.8166666...): make it a DOUBLE.
    if isinstance(node, exp.Literal) and not node.is_string and re.search(r"[.eE]", node.this):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("double"))
    # DuckDB's to_days(n) is an interval of n days; Spark's is make_dt_interval(n)
    if isinstance(node, exp.ToDays):
        return exp.Anonymous(this="MAKE_DT_INTERVAL", expressions=[node.this.copy()])
    # timezone('UTC', current_timestamp): "now" as a naive UTC timestamp. Spark's session time zone
    # is UTC (closedloop.engine.spark.SESSION_CONF), where that is localtimestamp().
    if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone":
        args = node.expressions
        if (
            len(args) == 2
            and isinstance(args[0], exp.Literal)
            and args[0].this.upper() == "UTC"
            and isinstance(args[1], exp.CurrentTimestamp)
        ):
            return exp.Anonymous(this="LOCALTIMESTAMP", expressions=[])
        raise NotOnSpark(f"timezone() other than timezone('UTC', current_timestamp): {node.sql('duckdb')!r}")
    # `x in (select unnest((select list(c) from r)))`, DuckDB's way of pushing a set of ids
    # into a macro, is `x in (select c from r)`: on Spark a semi-join, where the list would be
    # one row holding every id, built by one task
    if isinstance(node, exp.Select) and len(node.expressions) == 1 and not node.args.get("from_"):
        fn = node.expressions[0]
        inner = (
            fn.this
            if isinstance(fn, exp.Explode)
            else (fn.expressions[0] if isinstance(fn, exp.Unnest) and len(fn.expressions) == 1 else None)
        )
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Subquery) and isinstance(inner.this, exp.Select):
            sel = inner.this
            agg = sel.expressions[0] if len(sel.expressions) == 1 else None
            if isinstance(agg, exp.ArrayAgg) and not isinstance(agg.this, exp.Order) and not sel.args.get("group"):
                return sel.copy().select(agg.this.copy(), append=False)
    return node


def _guard(tree: exp.Expression, name: str) -> None:
    """Raise on what SQLGlot would translate without complaint but wrongly."""
    for node in tree.walk():
        if isinstance(node, exp.AggFunc) and isinstance(node.this, exp.Order) and not isinstance(node, exp.GroupConcat):
            raise NotOnSpark(
                f"{name}: ordered aggregate {node.sql('duckdb')!r} — Spark's COLLECT_LIST would drop the "
                f"order; sort an array of structs instead (docs/scale-out.md)"
            )
        if isinstance(node, exp.TimeToUnix):
            raise NotOnSpark(
                f"{name}: epoch() keeps fractions of a second in DuckDB but Spark's UNIX_TIMESTAMP drops "
                f"them; use date_diff('second', ...) or whole-second arithmetic (docs/scale-out.md)"
            )
        if isinstance(node, exp.Bracket) and not all(isinstance(i, exp.Literal) for i in node.expressions):
            raise NotOnSpark(
                f"{name}: {node.sql('duckdb')!r} indexes a list by an expression: DuckDB counts from 1, Spark "
                f"from 0, and SQLGlot shifts only literal indexes"
            )
        if (
            isinstance(node, exp.Select)
            and sum(isinstance(e.unalias(), exp.Explode | exp.Unnest) for e in node.expressions) > 1
        ):
            raise NotOnSpark(
                f"{name}: several unnest() in one select — DuckDB zips the lists, Spark's EXPLODEs multiply "
                f"them; unnest one list of structs instead (docs/scale-out.md)"
            )
        if isinstance(node, exp.Table) and node.name.lower().startswith("cl_"):
            raise NotOnSpark(f"{name}: reads the DuckDB-only derived table {node.name}")
        if isinstance(node, exp.Table) and node.db.lower() == "information_schema":
            raise NotOnSpark(f"{name}: reads DuckDB's information_schema")
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            raise NotOnSpark(f"{name}: calls DuckDB's table function {node.this.name}()")


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
    return statements[0]  # type: ignore[return-value]  # sqlglot.parse types its statements as Expr


@cache
def to_spark(name: str, schema: str | None = None) -> str:
    """Spark SQL for queries/<name>.sql; `schema`: qualify the canonical tables with it."""
    if schema is not None and not _SCHEMA.fullmatch(schema):
        raise ValueError(f"A Spark schema is a name or catalog.name (letters, digits, _), got {schema!r}.")
    tree = expand_macros(_parse(name))
    _guard(tree, name)
    tree = tree.transform(_rewrite)
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
