"""Writing an import: all of it in one transaction, or none of it.

Rows are upserted by key (insert the new keys, update the changed rows, leave
identical rows alone), so importing the same file twice changes nothing.
Columns a source doesn't read keep their values; rows of other imports,
retro_notes and reviews are never deleted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from closedloop import db
from closedloop.engine import journey_tables as derived
from closedloop.importer import staged_sql
from closedloop.importer.catalog import IMPORT_TABLES, KEYS, quote_ident, row_count
from closedloop.importer.errors import ImportFailed
from closedloop.importer.mapping import Mapping, load_mapping
from closedloop.importer.readers import ROW
from closedloop.importer.transform import Mapped
from closedloop.importer.validate import ProgressCallback, Run, ValidationReport

ON_ERROR = ("fail", "quarantine")
# DuckDB's own budget on a connection the import opens (by default it takes 80% of RAM): staging
# tables, hash joins and the insert spill to `<database>.tmp` beyond it, so a 10M-row file imports
# in under 2 GB of process memory (measured 1.8 GB) instead of 5 GB. A connection passed in keeps
# its settings.
#
# The same budget is handed to DuckDB's block allocator, which then keeps the pages it has touched
# instead of giving them back to the system after every task and faulting them in again: the
# 10.5M-touch import, 3 runs each alternating on one machine, 30.3/30.8/30.5 -> 29.0/29.7/29.2 s,
# 2.3M -> 1.7M page faults, 8.3-8.9 -> 6.6-6.9 s of system time, peak 1.83 -> 1.87 GB. The pages
# are freed when the import closes the database it opened; so not on the dashboard's shared
# connection (db.open_shared), which would hold them for as long as it runs.
MEMORY_LIMIT = "1.5GB"


@dataclass
class ImportResult:
    """What an import did. status is "imported" or "refused" (nothing written)."""

    status: str
    report: ValidationReport
    import_id: int | None
    tables: pd.DataFrame  # table, inserted, updated, unchanged
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    rows_skipped: int

    @property
    def ok(self) -> bool:
        return self.status == "imported"

    def summary(self) -> str:
        r = self.report
        head = f"{self.rows_read} row(s) read from {len(r.files)} file(s) with mapping '{r.mapping}'"
        if not self.ok:
            why = f"{r.file_errors} file problem(s)" if r.file_errors else f"{r.errors} error(s)"
            return f"{head}. Nothing was imported: {why}. Fix them and run again" + (
                "." if r.file_errors else ", or import the good rows with --quarantine."
            )
        parts = [
            f"{self.rows_inserted} inserted",
            f"{self.rows_updated} updated",
            f"{self.rows_unchanged} unchanged",
        ]
        if self.rows_skipped:
            parts.append(f"{self.rows_skipped} skipped by the mapping ({r.skipped_why()})")
        if self.rows_rejected:
            parts.append(f"{self.rows_rejected} rejected into import_rejects")
        return f"{head}: {', '.join(parts)} (import #{self.import_id})."


def import_files(
    database: str | Path | duckdb.DuckDBPyConnection,
    files: Iterable[Any],
    mapping: Mapping | str | Path,
    on_error: str = "fail",
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Validate `files` with `mapping`, then write them into `database` in one transaction.

    on_error="fail" writes nothing when any row has an error; "quarantine"
    writes the good rows and records each bad row's problems in import_rejects.
    `database` is a path (opened read-write and closed again; created if new)
    or a read-write connection. progress(fraction, message) is called as the
    import goes.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}; got {on_error!r}.")
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    own = not isinstance(database, duckdb.DuckDBPyConnection)
    shared = not isinstance(database, duckdb.DuckDBPyConnection) and db.is_shared(database)
    try:
        con = db.connect(database, read_only=False) if own else database
    except duckdb.Error as exc:
        # a lock held by another process, or this process holding the file open read-only
        raise ImportFailed(
            f"Can't open {database} for writing ({str(exc).splitlines()[0]}). If the dashboard or another "
            "import has it open, close that first, or pass import_files a read-write connection."
        ) from exc
    try:
        readonly = db.execute(con, "import_connection_readonly").fetchone()[0]
        if readonly:
            raise ImportFailed("The database connection is read-only; open it with read_only=False to import.")
        if own:
            db.execute(con, "import_memory_limit", limit=MEMORY_LIMIT)
            if not shared:
                db.execute(con, "import_block_allocator", limit=MEMORY_LIMIT)
        db.create_schema(con)
        run = Run(con, files, mapping, progress)
        try:
            run.prepare()
            report = run.report()
            if not report.can_import(on_error):
                return ImportResult(
                    "refused",
                    report,
                    None,
                    _no_tables(),
                    report.rows_read,
                    0,
                    0,
                    0,
                    report.rows_rejected,
                    report.rows_skipped,
                )
            return _write(con, run, report, mapping)
        finally:
            run.close()
    finally:
        if own:
            con.close()


def _no_tables() -> pd.DataFrame:
    return pd.DataFrame(columns=["table", "inserted", "updated", "unchanged"])


def _write(con: duckdb.DuckDBPyConnection, run: Run, report: ValidationReport, mapping: Mapping) -> ImportResult:
    # files that write the same keys are merged by writing them in merge order: the later one
    # updates the columns it reads, as if the files were imported one after another
    order = sorted(
        run.mapped, key=lambda m: (IMPORT_TABLES.index(m.target), m.source.mode != "upsert", run.merge_rank(m))
    )
    totals: dict[str, list[int]] = {}
    # an import that only adds touchpoints to a database whose journey tables are current
    # rebuilds the journeys of the deals they touch, not every deal (derived.refresh_added)
    current = derived.current(con)
    mark = derived.touchpoint_mark(con) if current else None
    con.begin()
    try:
        for i, m in enumerate(order):
            run.progress(0.7 + 0.28 * i / max(len(order), 1), f"Writing {m.target} from {m.file}")
            counts = _write_source(con, run, m)
            t = totals.setdefault(m.target, [0, 0, 0])
            for k in range(3):
                t[k] += counts[k]
        inserted = sum(t[0] for t in totals.values())
        updated = sum(t[1] for t in totals.values())
        unchanged = sum(t[2] for t in totals.values())
        import_id = db.execute(
            con,
            "import_log_insert",
            files=", ".join(run.file_names),
            mapping=mapping.name,
            read=report.rows_read,
            inserted=inserted,
            updated=updated,
            rejected=report.rows_rejected,
            skipped=report.rows_skipped,
            skipped_why=report.skipped_why() or None,
        ).fetchone()[0]
        db.execute(con, "import_rejects_insert", import_id=import_id, problems=run.problems)
        run.release()
        # the models' derived tables follow the data in the same transaction
        run.progress(0.99, "Rebuilding the derived tables")
        only_added = set(totals) == {"touchpoints"} and totals["touchpoints"][1] == 0
        # more touches than the database held reach about every deal: the whole build is then no
        # slower, and the incremental path's key check is saved (0.24 s of a first import of
        # 10.5M touches); `mark`, the next rowid, is at least the number of rows held
        incremental = only_added and mark is not None and totals["touchpoints"][0] <= mark
        if not incremental or derived.refresh_added(con, mark) is None:
            # a deal's row needs no rebuild when no table it is made from changed
            derived.refresh(con, keep_deals=True)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    derived.seal(con)
    run.progress(1.0, "Imported")
    tables = pd.DataFrame([(t, *v) for t, v in totals.items()], columns=["table", "inserted", "updated", "unchanged"])
    return ImportResult(
        "imported",
        report,
        import_id,
        tables,
        report.rows_read,
        inserted,
        updated,
        unchanged,
        report.rows_rejected,
        report.rows_skipped,
    )


def _write_source(con: duckdb.DuckDBPyConnection, run: Run, m: Mapped) -> tuple[int, int, int]:
    """(inserted, updated, unchanged) for the good rows of one mapped source."""
    table = m.target
    keys = KEYS[table]
    cols = [c.name for c in m.columns]
    q = {c: quote_ident(c) for c in cols}
    good = run.good(m)
    rows = f"{run.prefix}_w{m.index}"
    columns = [staged_sql.column(c) for c in cols]
    params: dict[str, Any] = {}
    if m.source.mode == "insert_missing":
        # stubs repeat (one per opportunity of an account): the first of each key is kept
        first = exp.Window(
            this=exp.RowNumber(),
            partition_by=[staged_sql.column(k) for k in keys if k in q],
            order=exp.Order(expressions=[exp.Ordered(this=staged_sql.column(ROW))]),
        )
        select = (
            exp.select(*columns)
            .from_(staged_sql.rows_of(good))
            .qualify(exp.EQ(this=first, expression=exp.Literal.number(1)))
        )
    elif m.index in run.dup_sources:
        # later copies of a key were reported (exact repeats as warnings, conflicts as errors)
        reported = exp.and_(
            exp.EQ(this=staged_sql.column("source", "d"), expression=exp.Placeholder(this="source")),
            exp.EQ(this=staged_sql.column(ROW, "d"), expression=staged_sql.column(ROW, "g")),
        )
        repeat = exp.select("1").from_(staged_sql.rows_of(run.dups, "d")).where(reported)
        select = exp.select(*columns).from_(staged_sql.rows_of(good, "g")).where(exp.not_(exp.Exists(this=repeat)))
        params["source"] = m.index
    else:
        # every good row as it is: read in place, not copied (a copy of 10M rows costs a GB)
        select = None
        rows = good
    if select is not None:
        run.temp_tables.append(rows)
        # SQLGlot names the run's staged tables and their columns as quoted identifiers
        con.execute(staged_sql.create_temp(rows, select, replace=True), params)
    n = row_count(con, rows)
    if table == "spend":
        return spend_replace(con, rows, cols, q), 0, 0
    updated = 0
    others = [c for c in cols if c not in keys]
    if m.source.mode == "upsert" and others:
        # before the insert, so the rows it adds aren't compared with themselves
        same_key = " and ".join(f"{table}.{q[k]} = w.{q[k]}" for k in keys)
        sets = [f"{q[c]} = w.{q[c]}" for c in others]
        changes = [f"{table}.{q[c]} is distinct from w.{q[c]}" for c in others]
        if table == "deals" and "outcome" in others and "closed_at" not in cols:
            # a file without close dates that re-opens a closed deal: its old close date is not its close
            sets.append(f"closed_at = case when w.{q['outcome']} = 'open' then null else deals.closed_at end")
            changes.append(f"(w.{q['outcome']} = 'open' and deals.closed_at is not null)")
        updated = con.execute(
            f"update {table} set {', '.join(sets)} from {rows} as w where {same_key} and ({' or '.join(changes)})"
        ).fetchone()[0]
    same_key = " and ".join(f"t.{q[k]} = w.{q[k]}" for k in keys)
    inserted = con.execute(
        f"insert into {table} ({', '.join(q.values())}) select {', '.join(f'w.{q[c]}' for c in cols)} "
        f"from {rows} as w where not exists (select 1 from {table} as t where {same_key})"
    ).fetchone()[0]
    # a stub that already exists isn't a row of this import: it isn't counted as unchanged
    unchanged = n - inserted - updated if m.source.mode == "upsert" else 0
    return inserted, updated, unchanged


def spend_replace(con: duckdb.DuckDBPyConnection, rows: str, cols: list[str], q: dict[str, str]) -> int:
    """Write spend rows so that a re-import replaces instead of adding (docs/spend.md): for each
    campaign or channel of the file, its stored spend from the file's first to its last date for
    it is deleted, then the file's rows are inserted (a missing channel or campaign is ''). Rows
    inserted."""
    value = {c: f"w.{q[c]}" for c in cols}
    for k in ("channel", "campaign_id"):
        value[k] = f"coalesce({value.get(k, 'null')}, '')"
    ranges = (
        f"select {value['channel']} as channel, {value['campaign_id']} as campaign_id, "
        f"min(w.spend_date) as first_date, max(w.spend_date) as last_date from {rows} as w group by all"
    )
    con.execute(
        f"delete from spend as s using ({ranges}) as r where s.channel = r.channel "
        "and s.campaign_id = r.campaign_id and s.spend_date between r.first_date and r.last_date"
    )
    # rows of one key in one file (two ad groups of a campaign on a day) add up
    return con.execute(
        f"insert into spend (spend_date, channel, campaign_id, amount) "
        f"select w.spend_date, {value['channel']}, {value['campaign_id']}, sum(w.amount) "
        f"from {rows} as w group by 1, 2, 3"
    ).fetchone()[0]


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str | None]]:
    """(row count, order-independent content hash) of every table of the database.

    Two databases, or one before and after an import, hold the same data
    exactly when these agree.
    """
    tables = [r[0] for r in db.execute(con, "main_tables").fetchall()]
    out = {}
    for t in tables:
        out[t] = db.execute(con, "table_checksum", table=t).fetchone()
    return out
