"""queries/macros.sql expanded into a query: each call becomes the macro's body with its arguments
in place of its parameters (Spark has no macro that takes a table-valued body on a Connect session)."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp

from closedloop import db
from closedloop.engine.translate.names import NotOnSpark


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


def _rename_ctes(body: exp.Expression, n: int) -> exp.Expression:
    """A table macro's own CTEs renamed for one expansion: SQLGlot's Spark SQL moves every CTE to
    the top, where a macro expanded twice would define the same name twice."""
    names = {cte.alias_or_name.lower() for cte in body.find_all(exp.CTE)}
    if not names:
        return body
    for cte in body.find_all(exp.CTE):
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(f"{cte.alias_or_name}__{n}")))
    for table in body.find_all(exp.Table):
        if table.name.lower() in names and not table.db:
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.set("this", exp.to_identifier(f"{table.name}__{n}"))
    return body


def expand_macros(tree: exp.Expression) -> exp.Expression:
    """Replace every call of a queries/macros.sql macro by its body (table macros as a subquery)."""
    macros = _macros()
    expansions = 0
    for _ in range(20):  # macros call macros; 20 levels is far more than macros.sql nests
        changed = False

        def expand(node: exp.Expression) -> exp.Expression:
            nonlocal changed
            if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
                fname = node.this.name.lower()
                if fname in macros and macros[fname][2]:
                    params, body, _ = macros[fname]
                    changed = True
                    nonlocal expansions
                    expansions += 1
                    alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(fname))
                    body = _rename_ctes(_substitute(body, params, node.this.expressions, fname), expansions)
                    return exp.Subquery(this=body, alias=alias)
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
