"""The DuckDB constructs whose literal Spark translation would be wrong, restructured (first pass,
`restructure`) and rewritten (second pass, `rewrite`) before SQLGlot writes Spark SQL."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.simplify import simplify

from closedloop.engine.translate.names import NotOnSpark


def _template(text: str, **parts: exp.Expression) -> exp.Expression:
    """A DuckDB expression with columns named __x replaced by copies of parts[x]."""
    tree = sqlglot.parse_one(text, read="duckdb")
    for col in list(tree.find_all(exp.Column)):
        if col.name.startswith("__") and not col.table:
            col.replace(parts[col.name[2:]].copy())
    return tree


def ordered_aggregate(node: exp.Expression) -> exp.Expression | None:
    """`list(x order by a, b)` / `first(x order by a, b)` as a sorted list of structs (a, b, x), which
    both engines keep in order (Spark's COLLECT_LIST and FIRST take no order); None when the form
    is one this can't keep exact (descending keys, a FILTER on the aggregate)."""
    if not isinstance(node, exp.ArrayAgg | exp.First) or not isinstance(node.this, exp.Order):
        return None
    if isinstance(node.parent, exp.Filter | exp.Window):
        return None
    keys = node.this.expressions
    if any(o.args.get("desc") for o in keys):
        return None
    parts = {f"k{i}": o.this for i, o in enumerate(keys)} | {"v": node.this.this}
    fields = ", ".join(f"k{i} := __k{i}" for i in range(len(keys)))
    sorted_list = f"list_sort(list(struct_pack({fields}, v := __v)))"
    if isinstance(node, exp.ArrayAgg):
        return _template(f"list_transform({sorted_list}, lambda s: s.v)", **parts)
    return _template(f"({sorted_list})[1].v", **parts)


def bracket(node: exp.Bracket) -> exp.Expression | None:
    """A list index or slice in Spark's terms: DuckDB counts from 1 (negative from the end), as
    Spark's element_at does; None for a slice other than [:n] and [-n:]."""
    if len(node.expressions) != 1:
        return None
    index = node.expressions[0]
    if isinstance(index, exp.Slice):
        start, stop = index.this, index.expression
        if start is None and stop is not None:
            return exp.Anonymous(this="SLICE", expressions=[node.this.copy(), exp.Literal.number(1), stop.copy()])
        if stop is None and isinstance(start, exp.Neg):
            count = start.this.copy()
            return exp.Anonymous(this="SLICE", expressions=[node.this.copy(), start.copy(), count])
        return None
    if isinstance(index, exp.Literal):
        return node  # SQLGlot shifts literal indexes; a string is a struct field or map key
    # SQLGlot's parser already made an index it knows to be an integer count from 0 (`x + -1`);
    # one of unknown type is still DuckDB's, from 1. Spark's element_at counts from 1 (negative
    # from the end, as DuckDB) and takes an INT.
    if index.type is None:
        annotate_types(index, dialect="duckdb")
    if index.type is not None and index.type.this in exp.DataType.INTEGER_TYPES:
        index = simplify(exp.Add(this=index.copy(), expression=exp.Literal.number(1)))
    position = exp.Cast(this=index.copy(), to=exp.DataType.build("int"))
    return exp.Anonymous(this="TRY_ELEMENT_AT", expressions=[node.this.copy(), position])


def zipped_unnest(node: exp.Select) -> exp.Expression | None:
    """DuckDB's `select unnest(a) as x, unnest(b) as y` zips the lists (padding with nulls); Spark's
    two EXPLODEs would multiply them: one INLINE(ARRAYS_ZIP(a, b)) AS (x, y), which pads the same."""
    if node.args.get("from_") or node.args.get("where") or node.args.get("group"):
        return None
    lists, names = [], []
    for e in node.expressions:
        if not isinstance(e, exp.Alias) or not isinstance(e.this, exp.Explode | exp.Unnest):
            return None
        fn = e.this
        arg = fn.this if isinstance(fn, exp.Explode) else (fn.expressions[0] if len(fn.expressions) == 1 else None)
        if arg is None:
            return None
        lists.append(arg.copy())
        names.append(exp.to_identifier(e.alias))
    zipped = exp.Anonymous(this="INLINE", expressions=[exp.Anonymous(this="ARRAYS_ZIP", expressions=lists)])
    return node.copy().select(exp.Aliases(this=zipped, expressions=names), append=False)


def _window_filter(node: exp.Window) -> exp.Window:
    """`count(*) filter (where c) over w`: Spark takes no FILTER on a window aggregate; the same as
    `count(case when c then 1 end) over w` (any aggregate: its argument nulled where not c)."""
    flt = node.this
    agg = flt.this.copy()
    cond = flt.expression.this.copy()
    arg = agg.this
    value = exp.Literal.number(1) if arg is None or isinstance(arg, exp.Star) else arg.copy()
    agg.set("this", exp.Case(ifs=[exp.If(this=cond, true=value)]))
    node = node.copy()
    node.set("this", agg)
    return node


def _lambda_index(node: exp.Expression) -> exp.Expression:
    """list_filter / list_transform with `lambda x, i:`: DuckDB's i counts from 1, Spark's from 0."""
    lam = node.expression if isinstance(node.expression, exp.Lambda) else None
    if lam is None or len(lam.expressions) != 2:
        return node
    node = node.copy()
    lam = node.expression
    idx = lam.expressions[1].name
    body = lam.this
    for ref in list(body.find_all(exp.Column, exp.Identifier)):
        if isinstance(ref, exp.Identifier) and isinstance(ref.parent, exp.Column):
            continue
        if ref.name == idx and not (isinstance(ref, exp.Column) and ref.table):
            shifted = exp.Paren(this=exp.Add(this=ref.copy(), expression=exp.Literal.number(1)))
            if ref is body:
                lam.set("this", shifted)
            else:
                ref.replace(shifted)
    return node


# --- rewrites and guards ----------------------------------------------------------------------


def restructure(node: exp.Expression) -> exp.Expression:
    """The first pass: forms Spark lacks, in DuckDB terms that the second pass (rewrite) and
    SQLGlot then translate."""
    if isinstance(node, exp.ArrayAgg | exp.First) and isinstance(node.this, exp.Order):
        return ordered_aggregate(node)
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Filter):
        return _window_filter(node)
    if isinstance(node, exp.ArrayFilter | exp.Transform) or (
        isinstance(node, exp.Anonymous) and node.name.lower() in ("list_transform", "list_filter")
    ):
        return _lambda_index(node)
    if (
        isinstance(node, exp.Select)
        and sum(isinstance(e.unalias(), exp.Explode | exp.Unnest) for e in node.expressions) > 1
    ):
        return zipped_unnest(node)
    return node


_LISTS = (exp.ArrayFilter, exp.Transform, exp.Array, exp.ArrayAgg, exp.ArrayDistinct, exp.ArraySort)


def rewrite(node: exp.Expression) -> exp.Expression:
    # DuckDB's `as [not] materialized` hint on a CTE: Spark's grammar has none (a syntax error);
    # Spark inlines or reuses a CTE on its own, and the hint changes no result
    # (in place: a node returned anew is not descended into, and the CTE's body needs rewriting too)
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
        return node
    if isinstance(node, exp.Bracket):
        return bracket(node)
    # len() of a list (SQLGlot writes LENGTH, strings only on Spark): SIZE
    if isinstance(node, exp.Length) and (
        isinstance(node.this, _LISTS)
        or (isinstance(node.this, exp.Cast) and node.this.to.this == exp.DataType.Type.ARRAY)
    ):
        # the list rewritten too: a node returned anew is not descended into (a date_diff in a lambda)
        return exp.ArraySize(this=node.this.copy().transform(rewrite))
    # DuckDB's epoch_us(ts): microseconds since the epoch; ts is naive UTC, the session's zone is UTC
    if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us" and len(node.expressions) == 1:
        ts = exp.Cast(this=node.expressions[0].copy(), to=exp.DataType.build("timestamp"))
        return exp.Anonymous(this="UNIX_MICROS", expressions=[ts])
    # cast(unnest(l) as t): Spark takes no generator inside an expression; unnest(cast(l as t[]))
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode | exp.Unnest):
        fn = node.this
        arg = fn.this if isinstance(fn, exp.Explode) else fn.expressions[0]
        to = exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[node.to.copy()], nested=True)
        return exp.Explode(this=exp.Cast(this=arg.copy(), to=to))
    # DuckDB's error(msg) is Spark's raise_error(msg)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "error":
        return exp.Anonymous(this="RAISE_ERROR", expressions=[e.copy() for e in node.expressions])
    # Spark has no unsigned integers; the packed codes fit a signed BIGINT
    if isinstance(node, exp.DataType) and node.this == exp.DataType.Type.UBIGINT:
        return exp.DataType.build("bigint")
    # DuckDB's list_position is NULL where Spark's ARRAY_POSITION is 0: not found
    if isinstance(node, exp.Anonymous) and node.name.lower() == "list_position":
        return exp.Nullif(
            this=exp.Anonymous(this="ARRAY_POSITION", expressions=[e.copy() for e in node.expressions]),
            expression=exp.Literal.number(0),
        )
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
