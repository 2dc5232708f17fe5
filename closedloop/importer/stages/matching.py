"""The run's second stage: which source of the mapping each staged table is, and mapping it."""

from __future__ import annotations

import duckdb

from closedloop import db
from closedloop.importer.catalog import drop_staged
from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.mapping import Source
from closedloop.importer.readers import StagedTable
from closedloop.importer.stages.staging import Staging
from closedloop.importer.transform import map_source


class Matching(Staging):
    """Stage 2: match each staged table to a source of the mapping and map it into canonical rows."""

    def _match_and_map(self) -> None:
        total = len(self.staged) or 1
        for fi, staged in enumerate(self.staged):
            if staged.deferred is None:
                # a deferred file's read (into its mapping, or staged) reports its own progress
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
                Problem.of_file(
                    "warning",
                    staged.file,
                    f"sheet '{staged.sheet}' skipped: it has none of the columns of "
                    f"{source.label if source else 'the mapping'} (its columns: {', '.join(staged.columns[:6])})",
                    "Nothing to do if the sheet holds notes; if it holds rows to import, give it the "
                    "export's header row.",
                    source.table if source else None,
                )
            )

    def _map_file(self, fi: int, staged: StagedTable) -> None:
        source = self._choose(staged)
        if staged.deferred is not None:
            if source is not None and self._read_into_mapping(fi, staged, source):
                return
            finished = self._finish_read(fi, staged)
            if finished is None:
                return
            staged = finished
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
            self._no_rows(staged, source)
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

    def _read_into_mapping(self, fi: int, staged: StagedTable, source: Source) -> bool:
        """A CSV file not read yet (StagedTable.deferred), matched to a source that keeps every row
        as it is (no companions, skip rules, explode or stubs): read it once, straight into the
        mapped table. False, with nothing left behind, when it can't be: then the file is staged
        as usual (`_finish_read`), as it is when a line was rejected (those lines are reported on
        their rows by the usual read) or the file changed while it was read."""
        read = staged.deferred
        assert read is not None
        if (
            self.mapping.companions(source)
            or source.mode == "insert_missing"
            or source.explode is not None
            or source.skip_if_empty
            or source.keep_if
            or source.skip_if
        ):
            return False
        name = f"{self.prefix}_m{len(self.mapped)}"
        if name not in self.temp_tables:
            self.temp_tables += [name, f"{name}_d"]
        try:
            m = map_source(self.con, source, staged, self.db_columns[source.table], name, len(self.mapped), fi, read)
            # nothing is read when the mapping can't run: the usual read reports the lines' problems too
            rejected = not m.fatal and bool(
                db.execute(self.con, "import_csv_rejected_lines", rejects=read.rejects).fetchall()
            )
        except duckdb.Error:
            # a file DuckDB can't split: the usual read says why, as it always has
            m, rejected = None, True
        finally:
            drop_staged(self.con, read.rejects, read.scan, kinds=("table",))
        if m is None or m.fatal or rejected or not read.unchanged():
            self._drop(name, f"{name}_d")
            return False
        staged.rows, staged.deferred = m.rows, None
        self.matched[fi] = source
        if staged.rows == 0:
            self._no_rows(staged, source)
            return True
        self.file_problems += m.problems
        self.mapped.append(m)
        return True

    def _finish_read(self, fi: int, staged: StagedTable) -> StagedTable | None:
        """Stage a CSV file whose read was deferred, as stage_file would have; None when it can't
        be read (a file problem then)."""
        assert staged.deferred is not None
        try:
            done = staged.deferred.finish()
        except UnreadableFile as exc:
            self.file_problems.append(Problem("error", exc.file, None, None, None, exc.problem, exc.fix))
            return None
        self.staged[fi] = done
        # the problems found before the read were taken when the file was staged
        for pr in done.problems[len(staged.problems) :]:
            if pr.row is None:
                self.file_problems.append(pr)
            else:
                self.row_problems.append((fi, pr))
        return done

    def _no_rows(self, staged: StagedTable, source: Source) -> None:
        self.file_problems.append(
            Problem.of_file(
                "error",
                staged.file,
                "the file has a header but no data rows",
                "Export it again with its rows, or leave it out.",
                source.table,
            )
        )
