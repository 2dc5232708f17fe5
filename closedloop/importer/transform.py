"""Compile one mapping source into SQL that turns a staged file into canonical rows.

The mapped table keeps, for every target column `c`, three versions of the
value: `c__src` (the cell as the file has it), `c__val` (after value maps,
rules and defaults, still text) and `c` (typed, null when it can't be
converted). Validation compares them to find each bad cell on its row. Header
names are quoted identifiers read from the file; every value that comes from a
mapping (maps, constants, formats, time zones) is a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
from sqlglot import exp

from closedloop.importer import staged_sql
from closedloop.importer.catalog import KEYS, Column, quote_ident, row_count
from closedloop.importer.errors import Problem
from closedloop.importer.mapping import ColumnSpec, Source
from closedloop.importer.readers import ROW, StagedTable, header_text, run_with_progress
from closedloop.importer.readers.common import FIRST_ROW, DeferredRead
from closedloop.importer.values import (
    CURRENCY,
    EXPLODED,
    Params,
    _cell,
    _condition_sql,
    _listed,
    _satisfied,
    _typed_sql,
    _value_sql,
    currency_sql,
)

__all__ = ["CURRENCY", "EXPLODED", "Mapped", "Params", "currency_sql", "map_source"]


@dataclass
class Mapped:
    """One source applied to one staged file."""

    index: int  # position among all mapped tables of the run
    file_index: int  # the staged file it came from (rows are rejected per file row)
    source: Source
    staged: StagedTable
    table: str
    columns: list[Column] = field(default_factory=list)  # target columns this source writes
    specs: dict[str, ColumnSpec] = field(default_factory=dict)
    rows: int = 0
    skipped: int = 0  # rows of the file this source left out (every reason)
    skip_reasons: list[tuple[str, int]] = field(default_factory=list)  # (why, how many)
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False

    @property
    def file(self) -> str:
        return self.staged.file

    @property
    def target(self) -> str:
        return self.source.table

    def written(self, name: str) -> bool:
        return name in self.specs


def map_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    staged: StagedTable,
    target_columns: list[Column],
    table: str,
    index: int,
    file_index: int,
    read: DeferredRead | None = None,
) -> Mapped:
    """Map `staged` through `source` into temp view `table` (over the table `table`_d).

    A required column the file lacks makes the result `fatal` (with the problem
    saying which); nothing is created then. With `read` (a CSV file not read yet, for a source
    that keeps every row: no skip rules, no explode, no stubs), the file is read straight into
    `table`_d, and its rows are numbered from their order there.
    """
    out = Mapped(index, file_index, source, staged, table)
    present = {c.strip().lower(): c for c in staged.columns}
    explode_col = None
    if source.explode is not None:
        explode_col = present.get(source.explode[0].strip().lower())
        if explode_col is None:
            out.problems.append(_missing(staged, source, [source.explode[0]], "the list it turns into rows", True))
            out.fatal = True
            return out

    def col(name: str) -> str | None:
        actual = present.get(name.strip().lower())
        if actual is None:
            return None
        return EXPLODED if actual == explode_col else quote_ident(actual)

    by_name = {c.name: c for c in target_columns}
    p = Params()
    selects: list[str] = []
    typed: list[str] = []
    values: dict[str, tuple[str, str]] = {}
    for spec in source.columns:
        target = by_name.get(spec.target)
        if target is None:
            out.problems.append(
                Problem(
                    "error",
                    staged.file,
                    None,
                    spec.label(),
                    None,
                    f"the database has no column {source.table}.{spec.target}",
                    "Upgrade the database: run the import into a new file, or ask for a schema migration.",
                    source.table,
                )
            )
            out.fatal = True
            continue
        reads = spec.columns_read()
        absent = [c for c in reads if col(c) is None]
        if not _satisfied(spec, col):
            if target.required:
                out.problems.append(_missing(staged, source, absent, spec.target, True))
                out.fatal = True
            elif not spec.optional:
                out.problems.append(_missing(staged, source, absent, spec.target, False))
            continue
        for c in spec.only_if:
            if col(c.column) is None:
                out.problems.append(
                    Problem(
                        "warning",
                        staged.file,
                        None,
                        c.column,
                        None,
                        f"the column '{c.column}' is missing, so {spec.target} is read on every row",
                        f"Add '{c.column}' to the export.",
                        source.table,
                    )
                )
        values[spec.target] = _value_sql(spec, col, p)
        out.specs[spec.target] = spec
        out.columns.append(target)
    if source.table == "deals" and "outcome" in values and "closed_at" in values:
        # an open deal's "Close Date" is the expected close, not a close: it isn't stored
        src, val = values["closed_at"]
        values["closed_at"] = (
            src,
            f"(case when lower({values['outcome'][1]}) = 'open' then null else {val} end)",
        )
    # Only what differs is stored (a million-row file maps to one column per target in the
    # common case); the view over it gives every column its three names: `aliases` holds the
    # (stored column, other name) pairs, `stored_key` the column each key is stored in.
    aliases: list[tuple[str, str]] = []
    stored_key: dict[str, str] = {}
    for target in out.columns:
        name = target.name
        src, val = values[name]
        c, c_src, c_val = (quote_ident(name + s) for s in ("", "__src", "__val"))
        transformed = src != val
        if transformed:
            selects.append(f"{src} as {c_src}")
            typed.append(c_src)
        selects.append(f"{val} as {c_val}")
        if target.kind == "text":
            typed.append(f"{c_val} as {c}")
            aliases.append((name, name + "__val"))
            stored_key[name] = name
        else:
            typed.append(c_val)
            typed.append(f"{_typed_sql(c_val, target.kind, out.specs[name], source, p)} as {c}")
            if target.kind == "number":
                # the currency the value is written in, when it isn't the database's (validation)
                typed.append(f"{currency_sql(c_val, source, p)} as {quote_ident(name + CURRENCY)}")
            stored_key[name] = name + "__val"
        if not transformed:
            aliases.append((stored_key[name], name + "__src"))
    skip_cols = [(c, col(c)) for c in source.skip_if_empty]
    filter_cols = [c.column for c in (*source.keep_if, *source.skip_if)]
    absent_skip = [c for c, q in skip_cols if q is None] + [c for c in filter_cols if col(c) is None]
    if absent_skip:
        out.problems.append(_missing(staged, source, list(dict.fromkeys(absent_skip)), "which rows to keep", True))
        out.fatal = True
    if out.fatal:
        return out
    # each reason a row is skipped: (its SQL, kept when true; how the report says it); its values
    # are bound apart (kp), so the count below binds only them
    kp = Params("k")
    reasons: list[tuple[str, str]] = [(f"{_cell(q)} is not null", f"'{name}' is empty") for name, q in skip_cols if q]
    if source.keep_if:
        cond = " and ".join(_condition_sql(c, col, kp, "false") for c in source.keep_if)
        said = " and ".join(f"'{c.column}' is {_listed(c)}" for c in source.keep_if)
        reasons.append((f"coalesce({cond}, false)", f"keep_if: not ({said})"))
    if source.skip_if:
        cond = " and ".join(_condition_sql(c, col, kp, "false") for c in source.skip_if)
        said = " and ".join(f"'{c.column}' is {_listed(c)}" for c in source.skip_if)
        reasons.append((f"not coalesce({cond}, false)", f"skip_if: {said}"))
    keep = " and ".join(f"({k})" for k, _ in reasons) or "true"
    stg = staged.table
    numbering = f"{ROW}, "
    if read is not None:
        # every row kept, in the file's order: the view numbers them by rowid like the staged view
        assert not reasons and explode_col is None and source.mode != "insert_missing"
        stg, numbering = f"({read.select})", ""
    if explode_col is not None:
        sep = p(source.explode[1])
        items = f"string_split(coalesce({quote_ident(explode_col)}, ''), {sep})"
        rows_sql = (
            f"select * from (select *, trim(unnest({items})) as {EXPLODED} from {stg} where {keep}) "
            f"where {EXPLODED} <> ''"
        )
    else:
        rows_sql = f"select * from {stg} where {keep}"
    data = f"{table}_d"
    sql = (
        f"create temp table {data} as select {numbering}{', '.join(typed) or 'null as __none'} from ("
        f"select {numbering}{', '.join(selects) or 'null as __none_src'} from ({rows_sql}) as s) as x"
    )
    numbered: list[exp.Expr] = []
    if read is None:
        con.execute(sql, {**p.values, **kp.values})
    else:
        run_with_progress(con, sql, {**p.values, **kp.values, **read.params}, read.progress)
        file_row = exp.Add(this=exp.column("rowid"), expression=exp.Literal.number(FIRST_ROW))
        numbered = [exp.alias_(file_row, ROW, quoted=True)]
    renamed = [exp.alias_(staged_sql.column(c), a, quoted=True) for c, a in aliases]
    con.execute(
        staged_sql.create_temp(
            table, exp.select(*numbered, exp.Star(), *renamed).from_(staged_sql.rows_of(data)), "VIEW"
        )
    )
    counts: list[tuple[str, int]] = []
    if reasons:
        row = con.execute(
            f"select count(*) filter (where not ({keep})), "
            + ", ".join(f"count(*) filter (where not ({k}))" for k, _ in reasons)
            + f" from {stg}",
            kp.values,
        ).fetchall()[0]
        out.skipped = row[0]
        counts = [(said, n) for (_, said), n in zip(reasons, row[1:], strict=True) if n]
    if source.mode == "insert_missing":
        # a row without a key adds nothing (a deal with no account needs no account stub); it is
        # counted as skipped like every row the mapping leaves out
        no_key = exp.or_(
            *(exp.Is(this=staged_sql.column(stored_key[k]), expression=exp.Null()) for k in KEYS[source.table])
        )
        n = con.execute(staged_sql.delete_where(data, no_key)).fetchall()[0][0]
        if n:
            out.skipped += n
            key_label = " + ".join(out.specs[k].label() for k in KEYS[source.table] if k in out.specs)
            counts.append((f"no {' + '.join(KEYS[source.table])} ({key_label} empty or not kept)", n))
    out.rows = row_count(con, table)
    out.skip_reasons = counts
    for said, n in counts:
        out.problems.append(
            Problem.of_file(
                "warning",
                staged.file,
                f"{n} row(s) skipped for {source.table} ({source.label}): {said}",
                "Nothing to do if the mapping means to leave these rows out; otherwise change the export "
                "or the mapping's skip_if_empty / keep_if / skip_if.",
                source.table,
            )
        )
    return out


def _missing(staged: StagedTable, source: Source, absent: list[str], what: str, fatal: bool) -> Problem:
    cols = ", ".join(f"'{c}'" for c in absent) or "(none)"
    if fatal:
        if len(staged.columns) == 1 and staged.format == "csv":
            fix = (
                f"The header was read as one column ('{staged.columns[0][:80]}'): the file seems to use a "
                "delimiter other than comma, semicolon, tab or |. Save it as comma-separated CSV."
            )
        else:
            fix = (
                f"Add the column to the export (its header must read exactly {cols}), or map another column "
                f"in the mapping. The file's columns are: {header_text(staged.columns)}."
            )
        return Problem(
            "error",
            staged.file,
            None,
            ", ".join(absent),
            None,
            f"missing column {cols}, needed for {what} ({source.label})",
            fix,
            source.table,
        )
    return Problem(
        "warning",
        staged.file,
        None,
        ", ".join(absent),
        None,
        f"column {cols} is not in the file, so {what} is left as it is",
        f"Add {cols} to the export if you want {what} filled in.",
        source.table,
    )
