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
from typing import Any

import duckdb

from closedloop.importer.catalog import KEYS, Column, quote_ident, row_count
from closedloop.importer.errors import Problem
from closedloop.importer.mapping import ColumnSpec, Condition, Source
from closedloop.importer.readers import ROW, StagedTable, header_text

EXPLODED = "__item"
CURRENCY = "__cur"  # suffix of the column holding a number's currency (see currency_sql)
# A time of day followed by a UTC offset or Z: the value names its own instant.
OFFSET_RE = r"\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
TIME_RE = r"\d:\d\d"


class Params:
    """Collects bound values and hands out their `$pN` placeholders."""

    def __init__(self, prefix: str = "p") -> None:
        self.values: dict[str, Any] = {}
        self.prefix = prefix

    def __call__(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return f"${name}"


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


def _cell(col: str) -> str:
    """The cell without surrounding spaces, empty as null: nullif(trim(cell), '').

    trim() copies every value; on pure ASCII (byte length = character length) it only removes
    ' ', so a value that neither starts nor ends with one is used as it is (about a third of
    the mapping's time on a 10M-row file). Anything else, non-ASCII included, is trimmed.
    """
    return (
        f"(case when strlen({col}) = length({col}) and not ({col} like ' %' or {col} like '% ') "
        f"then nullif({col}, '') else nullif(trim({col}), '') end)"
    )


def map_source(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    staged: StagedTable,
    target_columns: list[Column],
    table: str,
    index: int,
    file_index: int,
) -> Mapped:
    """Map `staged` through `source` into temp view `table` (over the table `table`_d).

    A required column the file lacks makes the result `fatal` (with the problem
    saying which); nothing is created then.
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
    # common case); the view over it gives every column its three names.
    aliases: list[str] = []
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
            aliases.append(f"{c} as {c_val}")
            stored_key[name] = c
        else:
            typed.append(c_val)
            typed.append(f"{_typed_sql(c_val, target.kind, out.specs[name], source, p)} as {c}")
            if target.kind == "number":
                # the currency the value is written in, when it isn't the database's (validation)
                typed.append(f"{currency_sql(c_val, source, p)} as {quote_ident(name + CURRENCY)}")
            stored_key[name] = c_val
        if not transformed:
            aliases.append(f"{c if target.kind == 'text' else c_val} as {c_src}")
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
        f"create temp table {data} as select {ROW}, {', '.join(typed) or 'null as __none'} from ("
        f"select {ROW}, {', '.join(selects) or 'null as __none_src'} from ({rows_sql}) as s) as x"
    )
    con.execute(sql, {**p.values, **kp.values})
    con.execute(f"create temp view {table} as select *{''.join(', ' + a for a in aliases)} from {data}")
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
        no_key = " or ".join(f"{stored_key[k]} is null" for k in KEYS[source.table])
        n = con.execute(f"delete from {data} where {no_key}").fetchall()[0][0]
        if n:
            out.skipped += n
            key_label = " + ".join(out.specs[k].label() for k in KEYS[source.table] if k in out.specs)
            counts.append((f"no {' + '.join(KEYS[source.table])} ({key_label} empty or not kept)", n))
    out.rows = row_count(con, table)
    out.skip_reasons = counts
    for said, n in counts:
        out.problems.append(
            Problem(
                "warning",
                staged.file,
                None,
                None,
                None,
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


def _listed(cond: Condition) -> str:
    """How a report says a condition's values: "empty", "non-empty", "'yes' or 'y'"."""
    words = ["empty" if v == "" else "non-empty" if v == "*" else f"'{v}'" for v in cond.values]
    return " or ".join(words)


def _satisfied(spec: ColumnSpec, col: Any) -> bool:
    if spec.const is not None or spec.default is not None:
        return True
    if spec.hash:
        return all(any(col(c) is not None for c in part) for part in spec.hash)
    if spec.sources:
        return any(col(c) is not None for c in spec.sources)
    return any(col(c.column) is not None for r in spec.rules for c in r.when)


def _condition_sql(cond: Condition, col: Any, p: Params, absent_is: str) -> str:
    q = col(cond.column)
    if q is None:
        return absent_is
    parts = []
    listed = [v for v in cond.values if v not in ("*", "")]
    if "*" in cond.values:
        parts.append(f"{_cell(q)} is not null")
    if "" in cond.values:
        parts.append(f"{_cell(q)} is null")
    if listed:
        parts.append(f"list_contains({p(listed)}, lower(trim({q})))")
    return "(" + " or ".join(parts) + ")" if parts else "false"


def _value_sql(spec: ColumnSpec, col: Any, p: Params) -> tuple[str, str]:
    """(the cell as read, the value after maps/rules/defaults), both text."""
    if spec.hash:
        cells = []
        for part in spec.hash:
            alts = [_cell(q) for c in part if (q := col(c)) is not None]
            cells.append(alts[0] if len(alts) == 1 else f"coalesce({', '.join(alts)})")
        src = (
            f"case when {' and '.join(f'{c} is not null' for c in cells)} "
            f"then {p(spec.prefix)} || md5(concat_ws('|', {', '.join(cells)})) end"
        )
    elif spec.sources:
        cells = []
        for c in spec.sources:
            q = col(c)
            if q is None:
                continue
            cells.append(_cell(f"split_part({q}, {p(spec.split)}, 1)") if spec.split else _cell(q))
        src = cells[0] if len(cells) == 1 else f"coalesce({', '.join(cells)})"
        if spec.prefix:
            src = f"({p(spec.prefix)} || {src})"
    elif spec.const is not None:
        src = f"cast({p(spec.const)} as varchar)"
    else:
        src = "cast(null as varchar)"
    val = src
    if spec.value_map:
        whens = " ".join(
            f"when {p(k)} then {'cast(null as varchar)' if v is None else p(v)}" for k, v in spec.value_map
        )
        other = val if spec.otherwise is None else p(spec.otherwise)
        val = f"(case lower({val}) {whens} else {other} end)"
    if spec.rules:
        whens = " ".join(
            f"when {' and '.join(_condition_sql(c, col, p, 'false') for c in r.when)} "
            f"then {'cast(null as varchar)' if r.value is None else p(r.value)}"
            for r in spec.rules
        )
        val = f"(case {whens} else {val} end)"
    if spec.default is not None:
        val = f"coalesce({val}, {p(spec.default)})"
    if spec.only_if:
        cond = " and ".join(_condition_sql(c, col, p, "true") for c in spec.only_if)
        val = f"(case when {cond} then {val} end)"
    return src, val


# A currency before or after an amount: an ISO code (EUR 1,000.00, 150,000 JPY) or a symbol ($1,200,
# £500, 1.000,00 €; "US$", "C$", "A$" …). The digits are kept apart in group 2 of AMOUNT_RE.
CURRENCY_TOKEN = r"[A-Za-z]{3}|[A-Za-z]{0,2}[$€£¥₹₩₽]"
AMOUNT_RE = rf"^\s*(-?)\s*(?:({CURRENCY_TOKEN})\s*)?(.*?)\s*(?:({CURRENCY_TOKEN}))?\s*$"
DIGITS_RE = r"^\d[\d.,\s\x{00a0}\x{202f}]*$"
SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP"}  # ¥, C$, A$ … are ambiguous: named as written
SPACES = "[\\s\u00a0\u202f]"  # thousands written with (no-break) spaces: 1 000 000


def _token_sql(v: str, p: Params) -> str:
    """The currency code or symbol written before or after the number in `v`, upper-cased."""
    return (
        f"upper(coalesce(nullif(regexp_extract({v}, {p(AMOUNT_RE)}, 2), ''), "
        f"nullif(regexp_extract({v}, {p(AMOUNT_RE)}, 4), '')))"
    )


def _currency_sql(v: str, source: Source, p: Params) -> str:
    """The currency written with the amount in `v`, as an ISO code (a symbol as written when it
    is ambiguous), or null when there is none or it is the database's own."""
    token = _token_sql(v, p)
    symbols = " ".join(f"when {p(k)} then {p(c)}" for k, c in SYMBOLS.items())
    code = f"(case {token} {symbols} else {token} end)"
    return f"nullif({code}, {p(source.currency.base)})"


def _number_sql(v: str, source: Source, p: Params) -> str:
    """The amount in `v` as a double, whatever currency it is written with (see _currency_sql)."""
    digits = f"regexp_replace(regexp_extract({v}, {p(AMOUNT_RE)}, 3), {p(SPACES)}, '', 'g')"
    s = f"(regexp_extract({v}, {p(AMOUNT_RE)}, 1) || {digits})"
    thousands = "," if source.decimal == "." else "."
    # a thousands separator is followed by exactly three digits: "1,5" in a file that writes
    # 1.5 is a decimal comma, not fifteen, so it is rejected rather than misread
    misplaced = p(f"\\{thousands}(\\d{{0,2}}(\\D|$)|\\d{{4}})")
    plain = f"replace({s}, ',', '')" if source.decimal == "." else f"replace(replace({s}, '.', ''), ',', '.')"
    num = f"(case when not regexp_matches({s}, {misplaced}) then try_cast({plain} as double) end)"
    return f"(case when isfinite({num}) then {num} end)"


def currency_sql(v: str, source: Source, p: Params) -> str:
    """The currency of the amount in `v` (null: the database's own), when `v` holds digits."""
    digits = f"regexp_extract({v}, {p(AMOUNT_RE)}, 3)"
    return f"(case when regexp_matches({digits}, {p(DIGITS_RE)}) then {_currency_sql(v, source, p)} end)"


def _typed_sql(v: str, kind: str, spec: ColumnSpec, source: Source, p: Params) -> str:
    if kind in ("timestamp", "date"):
        formats = list(spec.formats or source.date_formats)
        tz = spec.timezone or source.timezone
        local = f"try_cast({v} as timestamp)"
        if formats:
            local = f"coalesce(try_strptime({v}, {p(formats)}), {local})"
        if tz != "UTC":
            # only values with a time of day are instants; a bare date stays that calendar day
            local = (
                f"(case when regexp_matches({v}, {p(TIME_RE)}) "
                f"then timezone('UTC', timezone({p(tz)}, {local})) else {local} end)"
            )
        ts = (
            f"(case when {v} is null then null "
            f"when regexp_matches({v}, {p(OFFSET_RE)}) then timezone('UTC', try_cast({v} as timestamptz)) "
            f"else {local} end)"
        )
        return f"cast({ts} as date)" if kind == "date" else ts
    if kind == "integer":
        # counts (employees) carry no currency: "$120" or "120 FTE" is not a whole number
        num = f"(case when {_token_sql(v, p)} is null then {_number_sql(v, source, p)} end)"
        return f"(case when {num} = floor({num}) and abs({num}) < 2147483648 then cast({num} as bigint) end)"
    if kind == "number":
        num = _number_sql(v, source, p)
        # an amount in another currency is converted by the mapping's rate table, else it is null
        # (and validation says why): never stored as if it were in the database's currency
        rates = " ".join(f"when {p(code)} then {p(rate)}" for code, rate in source.currency.rates)
        factor = f"(case {_currency_sql(v, source, p)} {rates} end)" if rates else "null"
        return f"(case when {_currency_sql(v, source, p)} is null then {num} else round({num} * {factor}, 2) end)"
    if kind == "boolean":
        return (
            f"(case when lower({v}) in ('true', '1', 'yes', 'y', 't') then true "
            f"when lower({v}) in ('false', '0', 'no', 'n', 'f') then false end)"
        )
    return v
