"""Staging one input file: CSV, Parquet or .xlsx, by its format."""

from __future__ import annotations

import duckdb

from closedloop import db
from closedloop.importer.catalog import drop_staged, quote_ident, row_count
from closedloop.importer.errors import UnreadableFile
from closedloop.importer.readers.common import ROW, InputFile, Progress, StagedTable, _fingerprint, detect_format
from closedloop.importer.readers.csv_files import _stage_csv
from closedloop.importer.readers.xlsx_files import _stage_xlsx


def stage_file(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    table: str,
    header_hints: list[set[str]] | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
    defer: bool = False,
) -> list[StagedTable]:
    """Load `inp` into temp table(s) named from `table`; one per sheet for workbooks.

    A file that changes while it is read (its size, modification time or inode differ after the
    read from before it) is refused: the rows would be a mix of two versions. With `defer`, a clean
    UTF-8 CSV file is not read yet (StagedTable.deferred: the mapping reads it).
    """
    before = _fingerprint(inp.path)
    fmt = detect_format(inp)
    if fmt == "parquet":
        out = [_stage_parquet(con, inp, table, limit)]
    elif fmt == "xlsx":
        out = _stage_xlsx(con, inp, table, header_hints or [], progress, limit)
    else:
        out = [_stage_csv(con, inp, table, progress, limit, defer)]
    deferred = out[0].deferred
    if deferred is not None:
        # the read happens later: the same check then, after it
        staged_later = deferred.finish

        def finish() -> StagedTable:
            staged = staged_later()
            _refuse_if_changed(con, inp, before, [staged])
            return staged

        deferred.finish = finish
        deferred.unchanged = lambda: _fingerprint(inp.path) == before
        return out
    _refuse_if_changed(con, inp, before, out)
    return out


def _refuse_if_changed(
    con: duckdb.DuckDBPyConnection, inp: InputFile, before: tuple[int, int, int], out: list[StagedTable]
) -> None:
    if _fingerprint(inp.path) != before:
        for staged in out:
            drop_staged(con, staged.table, f"{staged.table}_raw")
        raise UnreadableFile(
            inp.name,
            "the file changed while it was read (its size or modification time is not what it was when "
            "reading started), so its rows would mix two versions",
            "Wait until the program writing it has finished (or import a copy), then import again.",
        )


# --- Parquet -----------------------------------------------------------------------------------


def _stage_parquet(con: duckdb.DuckDBPyConnection, inp: InputFile, table: str, limit: int | None) -> StagedTable:
    try:
        described = db.execute(con, "import_parquet_columns", path=str(inp.path)).fetchall()
        exprs = []
        for name, data_type, *_ in described:
            col = quote_ident(name)
            if str(data_type).upper().startswith("TIMESTAMP WITH TIME ZONE"):
                # typed instants become naive UTC text, like every other timestamp we store
                exprs.append(f"strftime(timezone('UTC', {col}), '%Y-%m-%d %H:%M:%S.%f') as {col}")
            else:
                exprs.append(f"cast({col} as varchar) as {col}")
        con.execute(
            f"create temp table {table} as select file_row_number + 2 as {ROW}, {', '.join(exprs)} "
            f"from read_parquet($path, file_row_number=true) order by file_row_number"
            + (f" limit {int(limit)}" if limit else ""),
            {"path": str(inp.path)},
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise UnreadableFile(inp.name, f"the Parquet file can't be read ({first})", "Export it again.") from exc
    n = row_count(con, table)
    return StagedTable(inp.name, inp, table, [d[0] for d in described], n, "parquet")
