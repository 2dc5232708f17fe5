"""The state of an import run (closedloop/importer/validate.py's Run) and the helpers its stages share."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb

from closedloop.importer import staged_sql
from closedloop.importer.catalog import (
    drop_staged,
    table_columns,
)
from closedloop.importer.errors import Problem
from closedloop.importer.mapping import Mapping, Source, load_mapping
from closedloop.importer.readers import ROW, StagedTable
from closedloop.importer.transform import Mapped, Params

ProgressCallback = Callable[[float, str], None]

PROBLEM_COLUMNS = ["severity", "file", "row", "column", "value", "problem", "fix", "table"]
# The report keeps this many problems in memory; import_rejects gets them all.
MAX_PROBLEMS = 100_000


class RunState:
    """One validation's state on one connection, and the helpers every stage uses: progress, the
    problems table, which rows are good, dropping temp tables.

    Everything a run creates is a temp table named with a unique prefix, dropped by `close()`."""

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

    def _refresh_bad(self) -> None:
        staged_sql.into_temp(self.con, self.bad, "import_bad_rows", problems=self.problems)
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

    def merge_rank(self, m: Mapped) -> tuple[int, int]:
        """Where `m` comes in the merge of files that write the same keys: the mapping's order of
        sources, then the order the files were given in (a folder's files by name)."""
        return (self.mapping.sources.index(m.source), m.file_index)

    def _drop(self, *names: str) -> None:
        """Drop temp tables or views by name (whichever each is; absent ones are fine)."""
        drop_staged(self.con, *names)

    def release(self) -> None:
        """Drop the run's staged tables once the write has read them, inside its transaction, so the
        journey build that follows gets their memory (10.5M mapped rows hold ~2 GB, beyond the
        import's 1.5 GB budget). close() drops them again: a rollback brings them back."""
        self._drop(*reversed(self.temp_tables))

    def close(self) -> None:
        self._drop(*reversed(self.temp_tables))
        shutil.rmtree(self.workdir, ignore_errors=True)
