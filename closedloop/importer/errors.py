"""The error types of the importer: every failure a user can cause is one of these."""

from __future__ import annotations


class ImportFailed(ValueError):
    """An import that cannot go ahead, with a message that says how to fix it.

    A ValueError so the CLI router prints it as `error: ...` and exits 2.
    """


class UnreadableFile(ImportFailed):
    """A file the readers cannot turn into rows (empty, binary, corrupt, unsupported)."""

    def __init__(self, file: str, problem: str, fix: str) -> None:
        super().__init__(f"{file}: {problem}. {fix}")
        self.file = file
        self.problem = problem
        self.fix = fix


class MappingError(ImportFailed):
    """A mapping (TOML) that is malformed or names tables, columns or keys that don't exist."""


class Problem:
    """One thing wrong with the input, located so the user can find and fix it.

    `row` is the row as a spreadsheet shows it (the header is row 1), None for a
    problem with the whole file; `severity` is "error" (the row can't be
    imported) or "warning" (imported, but worth a look).
    """

    __slots__ = ("severity", "file", "row", "column", "value", "problem", "fix", "table")

    def __init__(
        self,
        severity: str,
        file: str,
        row: int | None,
        column: str | None,
        value: str | None,
        problem: str,
        fix: str,
        table: str | None = None,
    ) -> None:
        self.severity = severity
        self.file = file
        self.row = row
        self.column = column
        self.value = value
        self.problem = problem
        self.fix = fix
        self.table = table

    @classmethod
    def of_file(cls, severity: str, file: str, problem: str, fix: str, table: str | None = None) -> Problem:
        """A problem with the whole file: no row, column or value."""
        return cls(severity, file, None, None, None, problem, fix, table)

    def as_tuple(self) -> tuple[str, str, int | None, str | None, str | None, str, str, str | None]:
        return (
            self.severity,
            self.file,
            self.row,
            self.column,
            self.value,
            self.problem,
            self.fix,
            self.table,
        )

    def __repr__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"Problem({self.severity}: {self.file} {where} {self.column!r}={self.value!r}: {self.problem})"
