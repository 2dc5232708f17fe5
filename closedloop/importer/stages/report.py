"""The run's last stage: the validation report (ValidationReport) a person reads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from closedloop import db, export
from closedloop.importer.catalog import (
    IMPORT_TABLES,
    row_count,
)
from closedloop.importer.stages.base import MAX_PROBLEMS, PROBLEM_COLUMNS, RunState


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


class Reporting(RunState):
    """Stage 5: the report: the files, every problem, the counts per table."""

    # --- results ---------------------------------------------------------------------------------

    def rows_read(self) -> int:
        # rows the readers couldn't stage (a broken line) count as read; rows staged with an error
        # (a NUL byte, a formula without a value) are already among s.rows
        return sum(s.rows + s.dropped for s in self.staged)

    def report(self) -> ValidationReport:
        con = self.con
        file_rows = [p.as_tuple() for p in self.file_problems]
        total = row_count(con, self.problems)
        rows = db.execute(con, "import_problems_listed", problems=self.problems, limit=MAX_PROBLEMS).fetchall()
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
