"""The run's third stage: the checks of each row on its own, and duplicate keys."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from closedloop.importer import staged_sql
from closedloop.importer.catalog import (
    KEYS,
    NON_NEGATIVE,
    quote_ident,
)
from closedloop.importer.errors import Problem
from closedloop.importer.readers import ROW
from closedloop.importer.stages.base import PROBLEM_COLUMNS, RunState
from closedloop.importer.transform import CURRENCY, Mapped, Params


def _minute(column: str) -> str:
    """A timestamp column as the report shows it: 2026-03-01 14:30."""
    return f"strftime({column}, '%Y-%m-%d %H:%M')"


class RowChecks(RunState):
    """Stage 3: each row's own checks (types, required values, enumerations, amounts, currencies,
    dates) and duplicate keys within and across files."""

    def _insert_python_problems(self) -> None:
        rows = [(fi, -1, -1, *p.as_tuple()) for fi, p in self.row_problems]
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        names = ["file_index", "source", "owner", *PROBLEM_COLUMNS]
        t = pa.table({n: pa.array(c) for n, c in zip(names, cols, strict=True)})
        self.con.register("__problems_chunk", t)
        try:
            staged_sql.insert_into(self.con, self.problems, "import_problems_found_reading", chunk="__problems_chunk")
        finally:
            self.con.unregister("__problems_chunk")

    def _row_checks(self, m: Mapped) -> None:
        table = m.target
        for c in m.columns:
            spec = m.specs[c.name]
            q, val, src = (quote_ident(c.name + s) for s in ("", "__val", "__src"))
            label = spec.label()
            failed = f"({val} is not null and {q} is null)"
            if c.kind in ("timestamp", "date"):
                formats = list(spec.formats or m.source.date_formats)
                self._emit(
                    m,
                    failed,
                    label,
                    f"coalesce({src}, {val})",
                    f"not a date this mapping can read ({c.name})",
                    "Write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS"
                    + (f", or in one of the mapping's formats ({', '.join(formats)})" if formats else "")
                    + "; or add the file's date format to date_formats in the mapping.",
                )
                self._implausible_dates(m, c.name, label)
            elif c.kind in ("number", "integer"):
                whole = c.kind == "integer"
                if not whole:  # amounts; counts (integers) carry no currency
                    self._currencies(m, c.name, label)
                self._emit(
                    m,
                    failed if whole else f"{failed} and {quote_ident(c.name + CURRENCY)} is null",
                    label,
                    f"coalesce({src}, {val})",
                    f"not a {'whole ' if whole else ''}number ({c.name})",
                    "Use digits only, with '.' before decimals (1234.50)"
                    + ("" if whole else '; set decimal = "," in the mapping if the file writes 1234,50')
                    + ".",
                )
            elif c.kind == "boolean":
                self._emit(m, failed, label, src, f"not true/false ({c.name})", "Use true or false (or 1/0).")
            if c.required:
                derived = f" (derived from {label})" if spec.hash else ""
                self._emit(
                    m,
                    f"{val} is null",
                    label,
                    src,
                    f"{c.name} is required but empty{derived}",
                    f"Fill in {label} on this row.",
                )
            allowed = self.mapping.allowed(table, c.name)
            if allowed is not None:
                p = Params()
                self._emit(
                    m,
                    f"{q} is not null and not list_contains({p(list(allowed))}, {q})",
                    label,
                    f"coalesce({src}, {val})",
                    f"not a known {c.name}",
                    f"Use one of {', '.join(allowed)}; or map this value in the mapping "
                    f'(map = {{ "…" = "…" }} under {c.name}).',
                    params=p,
                )
            if (table, c.name) in NON_NEGATIVE:
                self._emit(
                    m,
                    f"{q} < 0",
                    label,
                    src,
                    f"negative {c.name}",
                    f"{c.name} can't be below zero; correct the value"
                    + (" (refunds and credits aren't deals)." if c.name == "amount" else "."),
                )
        if table == "deals" and m.written("closed_at"):
            self._deal_dates(m)

    def _deal_dates(self, m: Mapped) -> None:
        """A deal's close date against its outcome and its created date, when the source writes
        them too; reported on the close date's column."""

        def check(other: str, where: str, value_sql: str, problem: str, fix: str) -> None:
            if m.written(other):
                self._emit(m, where, m.specs["closed_at"].label(), value_sql, problem, fix)

        # a source without closed_at keeps the date the deal has (another file, the database):
        # checked on the merged deal (_deal_state)
        check(
            "outcome",
            "outcome in ('won', 'lost') and closed_at is null and closed_at__val is null",
            "outcome",
            "a won or lost deal needs a close date",
            "Fill in the close date of this deal.",
        )
        check(
            "created_at",
            "closed_at < created_at",
            f"{_minute('closed_at')} || ' < ' || {_minute('created_at')}",
            "the deal closed before it was created",
            "Check both dates: the close date must be on or after the created date.",
        )

    def _currencies(self, m: Mapped, name: str, label: str) -> None:
        """Amounts written in another currency than the database's: refused on their row unless the
        mapping's [currency] rates convert them (then one note per file and currency)."""
        cur = quote_ident(name + CURRENCY)
        currency = m.source.currency
        p = Params()
        rates = dict(currency.rates)
        self._emit(
            m,
            f"{cur} is not null and {quote_ident(name)} is null",
            label,
            f"coalesce({quote_ident(name + '__src')}, {quote_ident(name + '__val')})",
            "",
            f"Convert it to {currency.base} in the export, or give the rate in the mapping: [currency] "
            f"rates = {{ CODE = rate }} (1 CODE in {currency.base}, e.g. EUR = 1.08); amounts with a rate "
            "are converted. Write a symbol that several currencies use ($ aside) as its ISO code (JPY, CNY).",
            params=p,
            problem_sql=(
                f"{p(name + ' in ')} || {cur} || {p(', a currency other than the database' + chr(39) + 's ')} "
                f"|| {p(currency.base)} || ' (the mapping gives no rate for ' || {cur} || ')'"
            ),
        )
        if not rates:
            return
        converted = self.con.execute(
            f"select {cur}, count(*) from {m.table} where {cur} is not null and {quote_ident(name)} is not null "
            f"group by 1 order by 1"
        ).fetchall()
        for code, n in converted:
            self.file_problems.append(
                Problem(
                    "warning",
                    m.file,
                    None,
                    label,
                    None,
                    f"{n} {name} value(s) in {code} converted to {currency.base} at {rates[code]:g} "
                    "(the mapping's [currency] rates), rounded to the cent",
                    "Nothing to do, if the rate is the one you want.",
                    m.target,
                )
            )

    def _implausible_dates(self, m: Mapped, name: str, label: str) -> None:
        """Dates before the mapping's earliest (1970) or more than days_ahead (365) after today."""
        dates = self.mapping.dates
        try:
            latest = date.today() + timedelta(days=dates.days_ahead)
        except OverflowError:
            latest = date.max
        q = quote_ident(name)
        p = Params()
        self._emit(
            m,
            f"cast({q} as date) < {p(dates.earliest)} or cast({q} as date) > {p(latest)}",
            label,
            f"coalesce({quote_ident(name + '__src')}, {quote_ident(name + '__val')})",
            "",
            "Correct the date. If it is right, widen the range in the mapping: [dates] earliest = "
            f"{dates.earliest.isoformat()} (the first date taken) or days_ahead = {dates.days_ahead} "
            "(how far after today).",
            params=p,
            problem_sql=(
                f"'implausible {name}: ' || case when cast({q} as date) < {p(dates.earliest)} "
                f"then 'before ' || {p(dates.earliest.isoformat())} "
                f"else 'more than ' || {p(dates.days_ahead)} || ' day(s) after today (' || "
                f"{p(date.today().isoformat())} || ')' end"
            ),
        )

    def _duplicates(self, table: str) -> None:
        sources = [m for m in self.mapped if m.target == table and m.source.mode == "upsert"]
        keys = KEYS[table]
        if not sources or not all(all(m.written(k) for k in keys) for m in sources):
            return
        key_sql = ", ".join(quote_ident(k) for k in keys)
        not_null = " and ".join(quote_ident(k) + " is not null" for k in keys)
        keys_only = " union all ".join(f"select {key_sql} from {self.good(m)} where {not_null}" for m in sources)
        # counting first is cheap; the ranking below then only looks at the keys that repeat. Distinct
        # 64-bit hashes are counted, not the keys (at 10M keys that is several times faster): keys
        # that repeat always repeat their hash, and the rare collision only runs the exact ranking,
        # which then finds no repeat.
        counted = f"select count(*) - count(distinct hash({key_sql})) from ({keys_only})"
        repeats = self.con.execute(counted).fetchone()[0]
        if not repeats:
            return
        parts = []
        for m in sources:
            cols = ", ".join(quote_ident(c.name) for c in m.columns)
            parts.append(
                f"select {m.index} as source, {m.file_index} as file_index, {ROW}, {key_sql}, "
                f"md5(cast(row({cols}) as varchar)) as h from {self.good(m)} where {not_null}"
            )
        names = {m.index: m for m in sources}
        ranked = self.dups
        # a key twice in one file is a repeat (warning) or a conflict (error); in two files it is
        # merged (below): the later file in merge order updates the earlier one
        self.con.execute(
            f"""
            create or replace temp table {ranked} as
            with rows as ({" union all ".join(parts)}),
            repeated as (select source, {key_sql} from rows group by source, {key_sql} having count(*) > 1)
            select * from (
                select *,
                    row_number() over w as n,
                    first_value(source) over w as first_source,
                    first_value({ROW}) over w as first_row,
                    first_value(h) over w as first_h
                from rows semi join repeated using (source, {key_sql})
                window w as (partition by source, {key_sql} order by {ROW})
            )
            where n > 1
            """
        )
        self._merged(table, sources, parts, key_sql)
        if ranked not in self.temp_tables:
            self.temp_tables.append(ranked)
        self.dup_sources |= {r[0] for r in self.con.table(ranked).select("source").distinct().fetchall()}
        key_text = " + ".join(keys)
        shown = " || ' / ' || ".join(f"cast({quote_ident(k)} as varchar)" for k in keys)
        for m in sources:
            # a later row of a key in its file: with the first row's values (a repeat, imported once)
            # or with others (a conflict)
            for same in (True, False):
                p = Params()
                first_file = (
                    "case first_source " + " ".join(f"when {s} then {p(names[s].file)}" for s in names) + " end"
                )
                first_row = f"first_row || ' of ' || {first_file}"
                self._emit(
                    m,
                    f"source = {m.index} and h {'=' if same else '<>'} first_h",
                    key_text,
                    shown,
                    "",
                    "Nothing to do; remove the repeated row to silence this."
                    if same
                    else f"Keep one row per {key_text}, or give this row its own id.",
                    severity="warning" if same else "error",
                    params=p,
                    problem_sql=(
                        f"'exact repeat of row ' || {first_row} || '; imported once'"
                        if same
                        else f"'duplicate {key_text}: row ' || {first_row} || ' has the same key with different values'"
                    ),
                    table_sql=ranked,
                )

    def _merged(self, table: str, sources: list[Mapped], parts: list[str], key_sql: str) -> None:
        """One warning per file whose keys an earlier file of the run also has: they are merged."""
        if len({m.index for m in sources}) < 2:
            return
        rank = {m.index: i for i, m in enumerate(sorted(sources, key=self.merge_rank))}
        p = Params()
        rank_sql = "case source " + " ".join(f"when {i} then {p(r)}" for i, r in rank.items()) + " end"
        pairs = self.con.execute(
            f"""
            with rows as (select distinct source, {rank_sql} as merge_rank, {key_sql}
                          from ({" union all ".join(parts)}))
            select later.source, earlier.source, count(*)
            from rows as later join rows as earlier using ({key_sql})
            where earlier.merge_rank < later.merge_rank
            group by all order by 1, 2
            """,
            p.values,
        ).fetchall()
        names = {m.index: m for m in sources}
        for later, earlier, n in pairs:
            lm, em = names[later], names[earlier]
            cols = ", ".join(c.name for c in lm.columns if c.name not in (*KEYS[table], "dates_unknown"))
            self.merged_tables.add(table)
            self.file_problems.append(
                Problem(
                    "warning",
                    lm.file,
                    None,
                    " + ".join(KEYS[table]),
                    None,
                    f"{n:,} {' + '.join(KEYS[table])}(s) of this file are also in {em.file}: merged, this file "
                    f"comes later ({lm.source.label} after {em.source.label}), so its {cols or 'values'} win",
                    "Nothing to do if this file is the newer one. Files that write the same rows are merged in "
                    "the order of the mapping's [[sources]], then in the order the files are given "
                    "(docs/import.md, 'Files that describe the same rows'); to change it, reorder the "
                    "sources or import the files in two runs, the newer last.",
                    table,
                )
            )
