"""The SQL of one mapped value: conditions, value maps and rules, and the typed value (numbers with
their currency, dates with their time zone); every value from a mapping is a bound parameter."""

from __future__ import annotations

from typing import Any

from closedloop.importer.mapping import ColumnSpec, Condition, Source

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
