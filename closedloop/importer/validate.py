"""Validation: every problem of an import, found before anything is written.

`Run` stages the files, matches each to a source of the mapping, maps it into
canonical rows and checks them (types, required values, enumerations,
amounts, dates, duplicate keys, references against the files AND the database,
touches after close). `validate()` reports; `load.import_files()` reuses the
same run to write.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from closedloop import db
from closedloop.importer import staged_sql
from closedloop.importer.catalog import (
    IMPORT_TABLES,
    table_columns,
)
from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.mapping import Mapping
from closedloop.importer.readers import collect_inputs
from closedloop.importer.stages.base import MAX_PROBLEMS, PROBLEM_COLUMNS, ProgressCallback
from closedloop.importer.stages.matching import Matching
from closedloop.importer.stages.references import References
from closedloop.importer.stages.report import Reporting, ValidationReport
from closedloop.importer.stages.row_checks import RowChecks

__all__ = ["MAX_PROBLEMS", "PROBLEM_COLUMNS", "ProgressCallback", "Run", "ValidationReport", "validate"]


class Run(Matching, RowChecks, References, Reporting):
    """One validation (and maybe import) of a set of files on one connection: the stages of
    closedloop/importer/stages in order (staging, matching, row checks, references, report).

    Everything it creates is a temp table named with a unique prefix, dropped by
    `close()`; the database itself is only read.
    """

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

    # --- checks --------------------------------------------------------------------------------

    def _check(self) -> None:
        con = self.con
        staged_sql.into_temp(con, self.problems, "import_problems_table")
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
