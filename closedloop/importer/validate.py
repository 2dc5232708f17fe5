"""Validation: every problem of an import, found before anything is written.

`Run` stages the files, matches each to a source of the mapping, maps it into
canonical rows and checks them (types, required values, enumerations,
amounts, dates, duplicate keys, references against the files AND the database,
touches after close). `validate()` reports; `load.import_files()` reuses the
same run to write.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from closedloop import db, export
from closedloop.importer.catalog import (
    IMPORT_TABLES,
    KEYS,
    NON_NEGATIVE,
    REFERENCES,
    SINGULAR,
    drop_staged,
    quote_ident,
    row_count,
    table_columns,
)
from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.mapping import Mapping, Source, load_mapping
from closedloop.importer.readers import ROW, InputFile, StagedTable, collect_inputs, stage_file
from closedloop.importer.transform import CURRENCY, Mapped, Params, map_source

ProgressCallback = Callable[[float, str], None]

PROBLEM_COLUMNS = ["severity", "file", "row", "column", "value", "problem", "fix", "table"]
# The report keeps this many problems in memory; import_rejects gets them all.
MAX_PROBLEMS = 100_000


@dataclass
class ValidationReport:
    """What an import would do, and everything wrong with its input.

    problems: one row per problem (severity, file, row, column, value, problem,
    fix, table); row is the spreadsheet row (header = 1), empty for a whole-file
    problem. files: how each file was read and which source it matched.
    counts: per target table, rows read, rows with errors, rows that would be
    written.
    """

    mapping: str
    files: pd.DataFrame
    problems: pd.DataFrame
    counts: pd.DataFrame
    errors: int
    warnings: int
    file_errors: int
    total_problems: int
    rows_read: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def can_import(self, on_error: str = "fail") -> bool:
        """fail: only a clean input; quarantine: anything but a file that can't be used at all."""
        return self.errors == 0 if on_error == "fail" else self.file_errors == 0

    def skipped_why(self) -> str:
        """Every skipped row by table and reason: "touchpoints: 6,352 keep_if: not (…)"."""
        if not len(self.counts) or "rows_skipped" not in self.counts:
            return ""
        rows = self.counts[self.counts["rows_skipped"] > 0]
        return "; ".join(f"{r.table}: {r.skipped_why}" for r in rows.itertuples(index=False))

    def to_csv(self, path: str | Path | None = None) -> str | None:
        """The problems as CSV (written to `path`, or returned as text)."""
        if path is None:
            return export.safe_frame(self.problems).to_csv(index=False)
        export.safe_frame(self.problems).to_csv(path, index=False)
        return None

    def lines(self, limit: int | None = 50) -> list[str]:
        """The problems as lines a person reads: where, what, how to fix."""
        out = []
        shown = self.problems if limit is None else self.problems.head(limit)
        for r in shown.itertuples(index=False):
            where = r.file if pd.isna(r.row) else f"{r.file} row {int(r.row)}"
            if isinstance(r.column, str) and r.column:
                where += f", column '{r.column}'"
            if isinstance(r.value, str):
                where += f", value '{r.value}'"
            out.append(f"{r.severity.upper():7} {where}: {r.problem}. Fix: {r.fix}")
        hidden = self.total_problems - len(shown)
        if hidden > 0:
            out.append(f"… and {hidden} more problem(s); write them all with --report FILE.csv")
        return out


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_COLUMNS}).astype({"row": "Int64"})


class Run:
    """One validation (and maybe import) of a set of files on one connection.

    Everything it creates is a temp table named with a unique prefix, dropped by
    `close()`; the database itself is only read.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        files: Iterable[Any],
        mapping: Mapping | str | Path,
        progress: ProgressCallback | None = None,
        limit: int | None = None,
    ) -> None:
        self.con = con
        self.limit = limit
        self.mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
        self._report_progress = progress
        self._fraction = 0.0
        self.prefix = f"_imp_{uuid.uuid4().hex[:10]}"
        self.workdir = Path(tempfile.mkdtemp(prefix="closedloop-import-"))
        self.temp_tables: list[str] = []
        self.file_problems: list[Problem] = []
        self.row_problems: list[tuple[int, Problem]] = []  # (file index, problem) found while reading
        self.staged: list[StagedTable] = []
        self.mapped: list[Mapped] = []
        self.matched: dict[int, Source] = {}
        self.ignored: list[str] = []
        self.file_names: list[str] = []
        self.db_columns = table_columns(con)
        self.problems = f"{self.prefix}_problems"
        self.bad = f"{self.prefix}_bad"
        # (file index, owner) with rejected rows; owner -1 rejects the whole file row, a companion's
        # index only that companion's rows (an unknown contact on a deal mustn't reject the deal)
        self.bad_files: set[tuple[int, int]] = set()
        self.dups = f"{self.prefix}_dups"
        self.dup_sources: set[int] = set()  # mapped tables with repeated keys (see _duplicates)
        self.merged_tables: set[str] = set()  # tables whose keys several files of the run write
        self.deal_state: str | None = None  # each deal of the run as it will be (_deal_state)
        self._files = files
        # sheets of a workbook with none of the columns their source reads: (staged index, problems)
        self.extra_sheets: list[tuple[int, list[Problem]]] = []

    def progress(self, fraction: float, message: str) -> None:
        """Report progress, never backwards (the per-file estimates overlap a little)."""
        self._fraction = max(self._fraction, min(fraction, 1.0))
        if self._report_progress is not None:
            self._report_progress(self._fraction, message)

    # --- the steps ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Read, match, map and check every file."""
        try:
            inputs = collect_inputs(self._files, self.workdir)
        except UnreadableFile as exc:
            self.file_problems.append(Problem("error", exc.file, None, None, None, exc.problem, exc.fix))
            inputs = []
        self.file_names = [i.name for i in inputs]
        self._stage_all(inputs)
        self._match_and_map()
        self.progress(0.55, "Checking rows")
        self._check()
        self.progress(0.7, "Checked")

    def _stage_all(self, inputs: list[InputFile]) -> None:
        hints = [set(s.signature) for s in self.mapping.primaries() if s.signature]
        sizes = [max(i.path.stat().st_size, 1) for i in inputs]
        done, total = 0, sum(sizes) or 1
        for n, (inp, size) in enumerate(zip(inputs, sizes, strict=True)):
            if self.mapping.ignores(inp.name):
                self.ignored.append(inp.name)
                continue
            base, share = 0.5 * done / total, 0.5 * size / total

            def tick(f: float, base: float = base, share: float = share, name: str = inp.name) -> None:
                self.progress(base + share * f, f"Reading {name}")

            tick(0.0)
            try:
                for staged in stage_file(self.con, inp, f"{self.prefix}_f{n}", hints, tick, self.limit):
                    self.temp_tables += [f"{staged.table}_raw", staged.table]
                    idx = len(self.staged)
                    self.staged.append(staged)
                    for pr in staged.problems:
                        if pr.row is None:
                            self.file_problems.append(pr)
                        else:
                            self.row_problems.append((idx, pr))
            except UnreadableFile as exc:
                self.file_problems.append(Problem("error", inp.name, None, None, None, exc.problem, exc.fix))
            done += size

    def _choose(self, staged: StagedTable) -> Source | None:
        header = {c.lower() for c in staged.columns}
        name = staged.input.name if staged.sheet is None else staged.sheet
        primaries = self.mapping.primaries()
        score = {s.name: max(s.name_score(name), s.name_score(staged.input.name)) for s in primaries}
        # the most specific pattern first: "*contact*role*" before "*contact*"
        by_name = sorted((s for s in primaries if score[s.name]), key=lambda s: -score[s.name])
        by_sig = [s for s in primaries if s.signature and {c.lower() for c in s.signature} <= header]
        by_sig.sort(key=lambda s: -len(s.signature))
        if by_name:
            both = sorted((s for s in by_name if s in by_sig), key=lambda s: (-score[s.name], -len(s.signature)))
            if both:
                return both[0]
            if by_sig and not any(s.signature and {c.lower() for c in s.signature} & header for s in by_name):
                self.file_problems.append(
                    Problem(
                        "error",
                        staged.file,
                        None,
                        None,
                        None,
                        f"the file is named like {by_name[0].label} but its columns are those of {by_sig[0].label}",
                        f"Check that you picked the right file; if it is {by_sig[0].label}, "
                        f"rename it to match {' or '.join(by_sig[0].files) or 'that export'}.",
                        by_name[0].table,
                    )
                )
                return None
            return by_name[0]
        if by_sig:
            return by_sig[0]
        if staged.sheet is not None and len([s for s in self.staged if s.input == staged.input]) > 1:
            self.ignored.append(staged.file)
            return None
        known = "; ".join(
            f"{s.label} ({', '.join(s.files) or 'any name'}; columns {', '.join(s.signature)})" for s in primaries
        )
        one_col = len(staged.columns) == 1 and staged.format == "csv"
        self.file_problems.append(
            Problem(
                "error",
                staged.file,
                None,
                None,
                None,
                "can't tell which kind of export this is"
                + (
                    f": its header was read as one column '{staged.columns[0]}'"
                    if one_col
                    else f" from its name or its columns ({', '.join(staged.columns[:12])})"
                ),
                ("Save it with commas, semicolons, tabs or | between values. " if one_col else "")
                + f"Mapping '{self.mapping.name}' reads: {known}. Rename the file or pick another mapping.",
            )
        )
        return None

    def _match_and_map(self) -> None:
        total = len(self.staged) or 1
        for fi, staged in enumerate(self.staged):
            self.progress(0.5 + 0.05 * fi / total, f"Mapping {staged.file}")
            try:
                self._map_file(fi, staged)
            finally:
                # the mapped tables hold every value the checks and the write read: the text copy
                # of the file goes now, not at close() (at 10M rows it is over a GB)
                self._drop(staged.table, f"{staged.table}_raw")
        self._settle_extra_sheets()

    def _extra_sheet(self, staged: StagedTable, source: Source) -> bool:
        """A sheet of a workbook with several sheets that has none of the columns `source` reads."""
        if staged.sheet is None or len([s for s in self.staged if s.input == staged.input]) < 2:
            return False
        header = {c.strip().lower() for c in staged.columns}
        reads = {c.strip().lower() for spec in source.columns for c in spec.columns_read()}
        return not (header & reads)

    def _settle_extra_sheets(self) -> None:
        """Skip such a sheet with a note when another sheet of its workbook was imported; a workbook
        none of whose sheets fit keeps its errors ("missing column …")."""
        used = {self.staged[m.file_index].input for m in self.mapped}
        for fi, problems in self.extra_sheets:
            staged = self.staged[fi]
            source = self.matched.pop(fi, None)
            if staged.input not in used:
                self.file_problems += problems
                continue
            self.ignored.append(staged.file)
            self.file_problems.append(
                Problem(
                    "warning",
                    staged.file,
                    None,
                    None,
                    None,
                    f"sheet '{staged.sheet}' skipped: it has none of the columns of "
                    f"{source.label if source else 'the mapping'} (its columns: {', '.join(staged.columns[:6])})",
                    "Nothing to do if the sheet holds notes; if it holds rows to import, give it the "
                    "export's header row.",
                    source.table if source else None,
                )
            )

    def _map_file(self, fi: int, staged: StagedTable) -> None:
        source = self._choose(staged)
        if source is None:
            return
        self.matched[fi] = source
        if self._extra_sheet(staged, source):
            # a free-text sheet ("Notes") of a workbook named like the table: skipped with a note if
            # another sheet of the workbook is imported (_settle_extra_sheets), else these errors
            m = map_source(self.con, source, staged, self.db_columns[source.table], "_unused", -1, fi)
            if m.fatal:
                self.extra_sheets.append((fi, m.problems))
                return
        if staged.rows == 0 and not any(i == fi for i, _ in self.row_problems):
            self.file_problems.append(
                Problem(
                    "error",
                    staged.file,
                    None,
                    None,
                    None,
                    "the file has a header but no data rows",
                    "Export it again with its rows, or leave it out.",
                    source.table,
                )
            )
            return
        for src in [source, *self.mapping.companions(source)]:
            name = f"{self.prefix}_m{len(self.mapped)}"
            if name not in self.temp_tables:  # dropped by close() even if mapping fails half-way
                self.temp_tables += [name, f"{name}_d"]
            m = map_source(
                self.con,
                src,
                staged,
                self.db_columns[src.table],
                name,
                len(self.mapped),
                fi,
            )
            if m.fatal and src is not source:
                # a companion that can't run only means fewer stub rows, not a refused file
                self.file_problems += [
                    Problem(
                        "warning",
                        p.file,
                        None,
                        p.column,
                        p.value,
                        f"{p.problem}; so no {src.table} rows are added from this file",
                        p.fix,
                        p.table,
                    )
                    for p in m.problems
                ]
                continue
            if m.fatal:
                self.file_problems += m.problems
                continue
            self.file_problems += m.problems
            self.mapped.append(m)

    # --- checks --------------------------------------------------------------------------------

    def _check(self) -> None:
        con = self.con
        con.execute(
            f"create temp table {self.problems} (file_index integer, source integer, owner integer, severity varchar, "
            f"file varchar, row bigint, column_name varchar, value varchar, problem varchar, fix varchar, "
            f"target_table varchar)"
        )
        self.temp_tables.append(self.problems)
        self._insert_python_problems()
        for m in self.mapped:
            self._row_checks(m)
        self._refresh_bad()
        for table in IMPORT_TABLES:
            self._duplicates(table)
        self._refresh_bad()
        self._deal_state()
        self._refresh_bad()
        self._references()
        self._touches_after_close()

    def _insert_python_problems(self) -> None:
        rows = [(fi, -1, -1, *p.as_tuple()) for fi, p in self.row_problems]
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        names = ["file_index", "source", "owner", *PROBLEM_COLUMNS]
        t = pa.table({n: pa.array(c) for n, c in zip(names, cols, strict=True)})
        self.con.register("__problems_chunk", t)
        try:
            self.con.execute(
                f"insert into {self.problems} select file_index, source, owner, severity, file, row, "
                f'"column", value, problem, fix, "table" from __problems_chunk'
            )
        finally:
            self.con.unregister("__problems_chunk")

    def _emit(
        self,
        m: Mapped,
        where: str,
        column: str,
        value_sql: str,
        problem: str,
        fix: str,
        severity: str = "error",
        params: Params | None = None,
        problem_sql: str | None = None,
        table_sql: str | None = None,
    ) -> None:
        p = params or Params()
        sql = (
            f"insert into {self.problems} select {p(m.file_index)}, {p(m.index)}, {p(self._owner(m))}, {p(severity)}, "
            f"{p(m.file)}, {ROW}, {p(column)}, cast({value_sql} as varchar), "
            f"{problem_sql or p(problem)}, {p(fix)}, {p(m.target)} from {table_sql or m.table} where {where}"
        )
        self.con.execute(sql, p.values)

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
        if table == "deals" and m.written("outcome") and m.written("closed_at"):
            # a source without closed_at keeps the date the deal has (another file, the database):
            # checked on the merged deal (_deal_state)
            self._emit(
                m,
                "outcome in ('won', 'lost') and closed_at is null and closed_at__val is null",
                m.specs["closed_at"].label(),
                "outcome",
                "a won or lost deal needs a close date",
                "Fill in the close date of this deal.",
            )
        if table == "deals" and m.written("closed_at") and m.written("created_at"):
            self._emit(
                m,
                "closed_at < created_at",
                m.specs["closed_at"].label(),
                "strftime(closed_at, '%Y-%m-%d %H:%M') || ' < ' || strftime(created_at, '%Y-%m-%d %H:%M')",
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

    def _refresh_bad(self) -> None:
        self.con.execute(
            f"create or replace temp table {self.bad} as select distinct file_index, row, owner "
            f"from {self.problems} where severity = 'error' and row is not null"
        )
        if self.bad not in self.temp_tables:
            self.temp_tables.append(self.bad)
        self.bad_files = {
            (r[0], r[1]) for r in self.con.table(self.bad).select("file_index", "owner").distinct().fetchall()
        }

    @staticmethod
    def _owner(m: Mapped) -> int:
        return -1 if m.source.companion_of is None else m.index

    def good(self, m: Mapped) -> str:
        """The rows of `m` that no error has rejected."""
        owners = {-1, self._owner(m)}
        if not any((m.file_index, o) in self.bad_files for o in owners):
            return m.table  # the common case; saves an anti-join over every row
        return (
            f"(select * from {m.table} as g where not exists (select 1 from {self.bad} as b "
            f"where b.file_index = {m.file_index} and b.row = g.{ROW} and b.owner in (-1, {self._owner(m)})))"
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
        for m in sources:
            p = Params()
            first_file = "case first_source " + " ".join(f"when {s} then {p(names[s].file)}" for s in names) + " end"
            self._emit(
                m,
                f"source = {m.index} and h = first_h",
                key_text,
                " || ' / ' || ".join(f"cast({quote_ident(k)} as varchar)" for k in keys),
                "",
                "Nothing to do; remove the repeated row to silence this.",
                severity="warning",
                params=p,
                problem_sql=(f"'exact repeat of row ' || first_row || ' of ' || {first_file} || '; imported once'"),
                table_sql=ranked,
            )
            p2 = Params()
            first_file2 = "case first_source " + " ".join(f"when {s} then {p2(names[s].file)}" for s in names) + " end"
            self._emit(
                m,
                f"source = {m.index} and h <> first_h",
                key_text,
                " || ' / ' || ".join(f"cast({quote_ident(k)} as varchar)" for k in keys),
                "",
                f"Keep one row per {key_text}, or give this row its own id.",
                params=p2,
                problem_sql=(
                    f"'duplicate {key_text}: row ' || first_row || ' of ' || {first_file2} "
                    f"|| ' has the same key with different values'"
                ),
                table_sql=ranked,
            )

    def merge_rank(self, m: Mapped) -> tuple[int, int]:
        """Where `m` comes in the merge of files that write the same keys: the mapping's order of
        sources, then the order the files were given in (a folder's files by name)."""
        return (self.mapping.sources.index(m.source), m.file_index)

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

    def _references(self) -> None:
        """Unknown accounts/contacts/deals/campaigns, against the files and the database.

        Repeated until stable: a rejected account makes its deals unknown references too.
        """
        checks = [
            (m, c.name, REFERENCES[(m.target, c.name)])
            for m in self.mapped
            for c in m.columns
            if (m.target, c.name) in REFERENCES
        ]
        if not checks:
            return
        for rnd in range(10):
            before = row_count(self.con, self.problems)
            for m, column, parent in checks:
                q = quote_ident(column)
                rows = m.table if rnd == 0 else self.good(m)
                # known: in the database or in a good row of a file of the parent table; each place
                # is its own anti-join (a union of every key first cost a copy of millions of keys).
                # Parent and key names come from the catalog's allowlist.
                key = KEYS[parent][0]
                known = [f"select 1 from {parent} as k where k.{key} = r.{q}"] + [
                    f"select 1 from {self.good(f)} as k where k.{quote_ident(key)} = r.{q}"
                    for f in self.mapped
                    if f.target == parent and f.written(key)
                ]
                p = Params()
                # each (row, column) is reported once, however many rounds it takes to settle
                seen = (
                    f"not exists (select 1 from {self.problems} as pr where pr.source = {m.index} "
                    f"and pr.row = r.{ROW} and pr.column_name = {p(m.specs[column].label())} "
                    f"and pr.problem like 'unknown %')"
                )
                self._emit(
                    m,
                    f"{q} is not null and " + " and ".join(f"not exists ({k})" for k in known) + f" and {seen}",
                    m.specs[column].label(),
                    q,
                    f"unknown {SINGULAR[parent]}: not in the files nor the database",
                    f"Import the {parent} export in the same run (or before), or correct the id.",
                    params=p,
                    table_sql=f"{rows} as r",
                )
            self._refresh_bad()
            after = row_count(self.con, self.problems)
            if after == before:
                break

    def _deal_state(self) -> None:
        """Each deal this run writes as it will be after the import, and the rules that need both
        halves of it, whichever half is in the database or in another file of the run.

        The state: the database's row, then each deals source's good rows in merge order, each
        layer setting the columns its source reads. Checked on it: a deal closed before it was
        created (error; the same row's dates are checked in _row_checks), a won or lost deal left
        without a close date (error), and a deal closed before the first touch of its account
        (warning: no touch counts for it).
        """
        sources = sorted(
            (m for m in self.mapped if m.target == "deals" and m.source.mode == "upsert" and m.written("deal_id")),
            key=self.merge_rank,
        )
        if not sources:
            return
        cols = {"account_id": "varchar", "created_at": "timestamp", "closed_at": "timestamp", "outcome": "varchar"}
        parts = []
        for layer, m in enumerate(sources, start=1):
            vals = ", ".join(
                f"{c} as {c}, true as w_{c}" if m.written(c) else f"cast(null as {t}) as {c}, false as w_{c}"
                for c, t in cols.items()
            )
            parts.append(
                f"select deal_id, {layer} as layer, {m.index} as source, {ROW} as row_n, {vals} "
                f"from {self.good(m)} where deal_id is not null"
            )
        files = " union all ".join(parts)
        in_db = ", ".join(f"{c}, true as w_{c}" for c in cols)
        last = ", ".join(
            f"max_by(struct_pack(v := {c}, layer := layer, source := source, row_n := row_n), "
            f"layer * 1e12 + coalesce(row_n, 0)) filter (where w_{c}) as {c}"
            for c in cols
        )
        state = f"{self.prefix}_deals"
        self.temp_tables.append(state)
        self.con.execute(
            f"""
            create or replace temp table {state} as
            with layers as (
                {files}
                union all
                select deal_id, 0 as layer, -1 as source, null as row_n, {in_db}
                from deals where deal_id in (select deal_id from ({files}))
            )
            select deal_id, {last},
                   max_by(struct_pack(source := source, row_n := row_n), layer * 1e12 + coalesce(row_n, 0))
                       filter (where layer > 0) as last_row
            from layers group by deal_id
            """
        )
        where_from = (
            "case {f}.source when -1 then 'the database' "
            + " ".join(f"when {i} then 'row ' || {{f}}.row_n || ' of ' || $f{i}" for i in {m.index for m in sources})
            + " end"
        )
        file_params = {f"f{m.index}": m.file for m in sources}
        for m in sources:
            # closed before created, the two dates from different places: reported on the row of
            # the later one (the database always comes first)
            later = "(case when s.created_at.layer > s.closed_at.layer then s.created_at else s.closed_at end)"
            p = Params()
            p.values.update(file_params)
            self._emit(
                m,
                f"s.closed_at.v < s.created_at.v and s.closed_at.layer <> s.created_at.layer "
                f"and {later}.source = {p(m.index)}",
                "closed_at / created_at",
                "strftime(s.closed_at.v, '%Y-%m-%d %H:%M') || ' < ' || strftime(s.created_at.v, '%Y-%m-%d %H:%M')",
                "",
                "Check both dates: the close date must be on or after the created date. Correct the wrong one "
                "in its export (or import a corrected row for the database's).",
                params=p,
                problem_sql=(
                    "'the deal closed before it was created: closed_at from ' || "
                    + where_from.format(f="s.closed_at")
                    + " || ', created_at from ' || "
                    + where_from.format(f="s.created_at")
                ),
                table_sql=f"(select s.*, {later}.row_n as {ROW} from {state} as s) as s",
            )
            if not m.written("closed_at") and m.written("outcome"):
                p2 = Params()
                self._emit(
                    m,
                    f"s.outcome.v in ('won', 'lost') and s.closed_at.v is null and s.outcome.source = {p2(m.index)}",
                    "outcome",
                    "s.outcome.v",
                    "a won or lost deal needs a close date: this file has no close date column and the deal "
                    "has none yet",
                    "Add the close date column to this export (and to the mapping), or import the close dates first.",
                    params=p2,
                    table_sql=f"(select s.*, s.outcome.row_n as {ROW} from {state} as s) as s",
                )
        self._first_touch_after_close(state, sources)
        self.deal_state = state

    def _first_touch_after_close(self, state: str, sources: list[Mapped]) -> None:
        """A won or lost deal whose account's first touch came after its close: no touch counts for it."""
        touches = [
            m for m in self.mapped if m.target == "touchpoints" and m.written("occurred_at") and m.written("account_id")
        ]
        firsts = " union all ".join(
            ["select account_id, occurred_at from touchpoints"]
            + [f"select account_id, occurred_at from {self.good(t)}" for t in touches]
        )
        for m in sources:
            p = Params()
            self._emit(
                m,
                f"s.outcome.v in ('won', 'lost') and f.first_touch > s.closed_at.v "
                f"and s.last_row.source = {p(m.index)}",
                "closed_at",
                "strftime(s.closed_at.v, '%Y-%m-%d %H:%M')",
                "",
                "Nothing to fix if both dates are right: touches after the close never count, so this deal "
                "shows under 'No touchpoint'. Otherwise correct the close date or the touches' dates.",
                severity="warning",
                params=p,
                problem_sql=(
                    "'the deal closed (' || strftime(s.closed_at.v, '%Y-%m-%d') || ') before the first touch of "
                    "account ' || s.account_id.v || ' (' || strftime(f.first_touch, '%Y-%m-%d') || "
                    "'): no touch counts for it'"
                ),
                table_sql=(
                    f"(select s.*, s.last_row.row_n as {ROW} from {state} as s) as s join "
                    f"(select account_id, min(occurred_at) as first_touch from ({firsts}) "
                    f"where account_id in (select account_id.v from {state}) group by account_id) as f "
                    f"on f.account_id = s.account_id.v"
                ),
            )

    def _touches_after_close(self) -> None:
        touches = [
            m for m in self.mapped if m.target == "touchpoints" and m.written("occurred_at") and m.written("account_id")
        ]
        if not touches:
            return
        deal_sources = [
            m
            for m in self.mapped
            if m.target == "deals"
            and m.source.mode == "upsert"
            and all(m.written(c) for c in ("deal_id", "account_id", "closed_at", "outcome"))
        ]
        imported = (
            # each deal as the run leaves it, when several files (or the database) hold its halves
            f"select deal_id, account_id.v as account_id, closed_at.v as closed_at, outcome.v as outcome "
            f"from {self.deal_state}"
            if self.deal_state
            else " union all ".join(
                f"select deal_id, account_id, closed_at, outcome from {self.good(m)}" for m in deal_sources
            )
            or "select null::varchar as deal_id, null::varchar as account_id, null::timestamp as closed_at, "
            "null::varchar as outcome where false"
        )
        acct = f"{self.prefix}_acct"
        self.temp_tables.append(acct)
        self.con.execute(
            f"""
            create or replace temp table {acct} as
            with imported as ({imported}),
            all_deals as (
                select * from imported
                union all
                select deal_id, account_id, closed_at, outcome from deals
                where deal_id not in (select deal_id from imported where deal_id is not null)
            )
            select account_id, count(*) filter (where outcome = 'open') as open_deals,
                   max(closed_at) as last_close
            from all_deals where account_id is not null group by account_id
            """
        )
        for m in touches:
            self._emit(
                m,
                "a.open_deals = 0 and t.occurred_at > a.last_close",
                m.specs["occurred_at"].label(),
                "strftime(t.occurred_at, '%Y-%m-%d %H:%M')",
                "",
                "Nothing to fix if the touch is real: touches after the close never count.",
                severity="warning",
                problem_sql=(
                    "'after the last deal of account ' || t.account_id || ' closed (' "
                    "|| strftime(a.last_close, '%Y-%m-%d') || '): kept, but no deal counts it'"
                ),
                table_sql=f"{self.good(m)} as t join {acct} as a on a.account_id = t.account_id",
            )

    # --- results ---------------------------------------------------------------------------------

    def rows_read(self) -> int:
        # rows the readers couldn't stage (a broken line) count as read; rows staged with an error
        # (a NUL byte, a formula without a value) are already among s.rows
        return sum(s.rows + s.dropped for s in self.staged)

    def report(self) -> ValidationReport:
        con = self.con
        file_rows = [p.as_tuple() for p in self.file_problems]
        total = row_count(con, self.problems)
        rows = con.execute(
            f"""
            select severity, file, row, column_name, value, problem, fix, target_table
            from {self.problems}
            order by severity = 'warning', file_index, row, source, column_name
            limit {MAX_PROBLEMS}
            """
        ).fetchall()
        problems = pd.DataFrame(file_rows + rows, columns=PROBLEM_COLUMNS) if (file_rows or rows) else _empty_problems()
        problems["row"] = problems["row"].astype("Int64")
        errors = sum(p.severity == "error" for p in self.file_problems) + row_count(
            con, self.problems, where="severity = 'error'"
        )
        warnings = len(self.file_problems) + total - errors
        file_errors = sum(p.severity == "error" for p in self.file_problems)
        bad_rows = row_count(con, self.bad)
        files = []
        for fi, s in enumerate(self.staged):
            if s.file in self.ignored:
                continue  # listed below
            src = self.matched.get(fi)
            # the rows the source it matched left out (its companions' own are in counts)
            skipped = sum(m.skipped for m in self.mapped if m.file_index == fi and m.source is src)
            files.append(
                (
                    s.file,
                    s.format,
                    s.encoding,
                    s.delimiter,
                    src.label if src else None,
                    src.table if src else None,
                    s.rows,
                    skipped,
                )
            )
        for name in self.ignored:
            files.append((name, None, None, None, "ignored by the mapping", None, 0, 0))
        files_df = pd.DataFrame(
            files, columns=["file", "format", "encoding", "delimiter", "source", "table", "rows", "skipped"]
        )
        counts = []
        for table in IMPORT_TABLES:
            ms = [m for m in self.mapped if m.target == table]
            if not ms:
                continue
            n = sum(m.rows for m in ms)
            bad = n - sum(row_count(con, self.good(m)) for m in ms)
            skipped = sum(m.skipped for m in ms)
            reasons: dict[str, int] = {}
            for m in ms:
                for r, k in m.skip_reasons:
                    reasons[r] = reasons.get(r, 0) + k
            why = "; ".join(f"{k:,} {r}" for r, k in reasons.items())
            counts.append((table, n + skipped, skipped, bad, n - bad, why))
        counts_df = pd.DataFrame(
            counts, columns=["table", "rows", "rows_skipped", "rows_with_errors", "rows_to_write", "skipped_why"]
        )
        return ValidationReport(
            mapping=self.mapping.name,
            files=files_df,
            problems=problems,
            counts=counts_df,
            errors=errors,
            warnings=warnings,
            file_errors=file_errors,
            total_problems=len(file_rows) + total,
            rows_read=self.rows_read(),
            rows_rejected=bad_rows,
            rows_skipped=int(counts_df["rows_skipped"].sum()) if len(counts_df) else 0,
        )

    def _drop(self, *names: str) -> None:
        """Drop temp tables or views by name (whichever each is; absent ones are fine)."""
        drop_staged(self.con, *names)

    def close(self) -> None:
        self._drop(*reversed(self.temp_tables))
        shutil.rmtree(self.workdir, ignore_errors=True)


def validate(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[Any],
    mapping: Mapping | str | Path,
    progress: ProgressCallback | None = None,
) -> ValidationReport:
    """Check `files` against `mapping` and the database behind `con`; writes nothing.

    `con` may be read-only (the app's connection). A database without the
    Closed Loop tables is checked as if empty.
    """
    if not _has_schema(con):
        scratch = duckdb.connect()
        try:
            db.create_schema(scratch)
            return validate(scratch, files, mapping, progress)
        finally:
            scratch.close()
    run = Run(con, files, mapping, progress)
    try:
        run.prepare()
        return run.report()
    finally:
        run.close()


def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
    cols = table_columns(con)
    return all(cols[t] for t in IMPORT_TABLES)
