"""Staging a CSV file with DuckDB's read_csv: rejected lines found on their rows, rows numbered
like a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from closedloop import db
from closedloop.importer import staged_sql
from closedloop.importer.catalog import drop_staged, quote_ident, row_count
from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.readers.common import (
    FIRST_ROW,
    HEAD_BYTES,
    MAX_COLUMNS,
    MAX_EXTRA_VALUES,
    ROW,
    DeferredRead,
    InputFile,
    Progress,
    StagedTable,
    _clip,
    run_with_progress,
)
from closedloop.importer.readers.csv_text import (
    _decode,
    _encoding,
    _footer_lines,
    _header,
    _one_value,
    _records,
    _scan,
    _transcode,
    sniff_delimiter,
)

_REJECT_TEXT = {
    "MISSING COLUMNS": (
        "the row has fewer values than the header: it looks truncated",
        "Complete the row or delete it; a line break inside an unquoted value also splits a row in two.",
    ),
    "TOO MANY COLUMNS": (
        "the row has more values than the header",
        "Enclose values that contain the delimiter in double quotes, or remove the extra values.",
    ),
    "UNQUOTED VALUE": (
        "a double quote is out of place in this row",
        'Enclose the value in double quotes and double any quote inside it ("").',
    ),
    "INVALID STATE": (
        "the row can't be split into values (an unclosed quote?)",
        'Enclose the value in double quotes and double any quote inside it ("").',
    ),
    "INVALID ENCODING": (
        "the row holds bytes that aren't valid UTF-8",
        "Save the file as UTF-8 (in Excel: 'CSV UTF-8'), or fix the characters on this row.",
    ),
    "LINE SIZE OVER MAXIMUM": (
        "the row is longer than 8 MB: most likely a quote that is never closed",
        "Close the quote that starts on this row.",
    ),
}


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    table: str,
    progress: Progress | None,
    limit: int | None,
    defer: bool = False,
) -> StagedTable:
    with open(inp.path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    encoding, bom = _encoding(head)
    # A few NUL bytes in a text file are damage on their rows (reported there, below); many of
    # them mean the file isn't text at all.
    if encoding != "utf-16" and head.count(b"\x00") > max(1, len(head) // 100):
        raise UnreadableFile(
            inp.name, "the file holds binary data, not text", "Export it again as CSV, Parquet or .xlsx."
        )
    text = _decode(head if encoding == "utf-16" else head[bom:], encoding)  # the utf-16 codec reads its BOM
    if not text.strip():
        raise UnreadableFile(inp.name, "the file is empty", "Export it again; it has no header and no rows.")
    delimiter = sniff_delimiter(text)
    columns, problems = _header(text, delimiter, inp.name)
    if len(columns) > MAX_COLUMNS:
        raise UnreadableFile(
            inp.name,
            f"the header has {len(columns):,} columns; at most {MAX_COLUMNS:,} are read",
            "Export only the columns the mapping reads (a report with fewer fields).",
        )
    if encoding == "cp1252":
        problems.append(
            Problem.of_file(
                "warning",
                inp.name,
                "the file is not UTF-8; it was read as Windows-1252 (Latin-1 with € – “ ” of Excel on Windows)",
                "Check accented names in the preview; save as 'CSV UTF-8' to be sure.",
            )
        )
    path, undecodable, copy = inp.path, [], None
    if encoding != "utf-8":
        copy, undecodable = _transcode(inp.path, encoding)
        path = copy
    try:
        return _stage_csv_text(
            con,
            inp,
            path,
            table,
            columns,
            delimiter,
            encoding,
            problems,
            undecodable,
            progress,
            limit,
            defer=defer and copy is None,
        )
    finally:
        if copy is not None:
            copy.unlink(missing_ok=True)


def _stage_csv_text(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    path: Path,
    table: str,
    columns: list[str],
    delimiter: str,
    encoding: str,
    problems: list[Problem],
    undecodable: list[int],
    progress: Progress | None,
    limit: int | None,
    defer: bool = False,
) -> StagedTable:
    """Read `path`, a UTF-8 file (the original or a transcoded copy), with DuckDB. With `defer`, a
    file with no NUL byte is not read yet: the StagedTable carries the read (DeferredRead)."""
    scanned = _scan(path, delimiter, len(columns))
    if scanned.wide_line is not None:
        values = _values_on_line(path, scanned.wide_span, delimiter)
        if values > len(columns) + MAX_EXTRA_VALUES:
            raise UnreadableFile(
                inp.name,
                f"line {scanned.wide_line:,} holds {values:,} values but the header names {len(columns)}: "
                "the file is damaged or not an export of one table (refused before reading it, "
                "since such a line takes minutes and gigabytes to split)",
                "Open the file in a text editor at that line: remove the line or split it into rows; "
                "a value with the delimiter inside must be in double quotes.",
            )
    raw, rejects = f"{table}_raw", f"{table}_rej"
    scan = f"{table}_scan"
    read = {
        "path": str(path),
        "delim": delimiter,
        "columns": {c: "VARCHAR" for c in columns},
        "rejects": rejects,
        "scan": scan,
    }
    if defer and not limit and not scanned.nul_lines and not undecodable:
        select, bound = staged_sql.select_statement("import_csv_read", **read)
        return StagedTable(
            inp.name,
            inp,
            table,
            columns,
            0,
            "csv",
            encoding,
            delimiter,
            problems=problems,
            deferred=DeferredRead(
                select,
                bound,
                rejects,
                scan,
                progress,
                lambda: _stage_csv_text(
                    con, inp, path, table, columns, delimiter, encoding, list(problems), undecodable, progress, limit
                ),
                lambda: True,  # stage_file sets both: it knows the file as it was before
            ),
        )
    sql, params = staged_sql.into_temp_statement(
        raw, "import_csv_read", row_limit=int(limit) if limit else None, **read
    )
    try:
        run_with_progress(con, sql, params, progress)
        bad = db.execute(con, "import_csv_rejected_lines", rejects=rejects).fetchall()
        # where the first byte that isn't UTF-8 is on each such line, to name it
        bad_bytes = dict(db.execute(con, "import_csv_invalid_bytes", rejects=rejects).fetchall())
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFile(
            inp.name,
            f"the file can't be read as CSV ({first})",
            "Check that it is a CSV export; open it in a text editor to look.",
        ) from exc
    finally:
        drop_staged(con, rejects, scan, kinds=("table",))
    footer = _footer_lines(path, "utf-8", delimiter) if bad and len(columns) > 1 else 0
    dropped = 0
    while footer and bad and bad[-1][1] == "MISSING COLUMNS" and _one_value(bad[-1][2], delimiter):
        bad.pop()
        footer -= 1
        dropped += 1
    if dropped:
        problems.append(
            Problem.of_file(
                "warning",
                inp.name,
                f"the last {dropped} line(s) are a report footer, not data; they were skipped",
                "Nothing to do.",
            )
        )
    lines = sorted({int(line) for line, _, _ in bad})
    for line, kind, csv_line in bad:
        what, fix = _REJECT_TEXT.get(kind, (f"the row can't be read ({kind.lower()})", "Check the row."))
        if kind == "INVALID ENCODING" and bad_bytes.get(line) is not None:
            what += _byte_at(path, int(bad_bytes[line]))
        problems.append(Problem("error", inp.name, int(line), None, _clip(csv_line), what, fix))
    n = row_count(con, raw)
    _number_rows(con, raw, table, columns, lines, n)
    if scanned.nul_lines:
        problems += _rows_holding(
            con,
            table,
            columns,
            "\x00",
            inp.name,
            lambda _k, _n: "the value holds a NUL byte (0x00), which no text export writes: the file is damaged",
            "Remove the NUL byte (shown as ␀) in a text editor, or export the file again.",
        )
    if undecodable:
        what = "Windows-1252" if encoding == "cp1252" else "UTF-16"
        problems += _rows_holding(
            con,
            table,
            columns,
            "\ufffd",
            inp.name,
            lambda k, n: (
                f"byte {', '.join(f'0x{b:02X}' for b in undecodable[k : k + n])} can't be read as {what} "
                "(it has no character there)"
                if all(b >= 0 for b in undecodable[k : k + n]) and len(undecodable) >= k + n
                else f"the value holds bytes that aren't valid {what}"
            ),
            "The file is in another encoding or damaged: save it as 'CSV UTF-8' and import that, "
            "or fix the character (shown as �) on this row.",
        )
    return StagedTable(
        inp.name, inp, table, columns, n, "csv", encoding, delimiter, problems=problems, dropped=len(lines)
    )


def _byte_at(path: Path, line_start: int) -> str:
    """Names the first byte that isn't UTF-8 on the line starting at `line_start`."""
    with open(path, "rb") as fh:
        fh.seek(line_start)
        data = fh.read(HEAD_BYTES)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":  # not a character cut by the read
            return f" (byte 0x{data[exc.start]:02X} at byte offset {line_start + exc.start:,})"
    return ""


def _values_on_line(path: Path, span: tuple[int, int], delimiter: str) -> int:
    """How many values the line at `span` splits into (quoted delimiters are inside values)."""
    with open(path, "rb") as fh:
        fh.seek(span[0])
        line = fh.read(span[1] - span[0]).decode("utf-8", errors="replace")
    recs = _records(line, delimiter, 1)
    return len(recs[0]) if recs else 0


def _rows_holding(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: list[str],
    char: str,
    file: str,
    problem: Callable[[int, int], str],
    fix: str,
) -> list[Problem]:
    """An error for each cell of the staged `table` that holds `char`, in file order.

    `problem(k, n)` words it for the cell holding the k-th to (k+n-1)-th occurrences of `char` in
    the file (rows, then columns, then position in the cell), so a byte recorded while reading
    lands on its row.
    """
    if not columns:
        return []
    parts = [
        f"select {ROW} as r, {i} as c, {quote_ident(col)} as v from {table} where strpos({quote_ident(col)}, $ch) > 0"
        for i, col in enumerate(columns)
    ]
    hits = con.execute(
        f"select r, c, v from ({' union all '.join(parts)}) order by r, c limit 10000", {"ch": char}
    ).fetchall()
    out, k = [], 0
    for row, c, value in hits:
        n = value.count(char)
        out.append(Problem("error", file, int(row), columns[c], _clip(value.replace("\x00", "␀")), problem(k, n), fix))
        k += n
    return out


def _number_rows(
    con: duckdb.DuckDBPyConnection, raw: str, table: str, columns: list[str], bad_lines: list[int], n: int
) -> None:
    """Give each staged row the number a spreadsheet shows: rejected rows keep their numbers."""
    cols = ", ".join(quote_ident(c) for c in columns)
    if not bad_lines:
        # rowid is the insertion order, i.e. the file's order: a view saves copying every row
        # DDL naming staged tables: their names (the run's prefix) and the header's columns quoted
        con.execute(
            f"create temp view {quote_ident(table)} as "
            f"select rowid + {FIRST_ROW} as {ROW}, {cols} from {quote_ident(raw)}"
        )
        return
    else:
        # the k-th accepted row sits on the k-th row number no rejected row took
        con.execute(
            f"""
            create temp table {quote_ident(table)} as
            with numbers as (
                select n, row_number() over (order by n) - 1 as k
                from range(2, $top) as r(n)
                where not list_contains($bad, n)
            )
            select numbers.n as {ROW}, {cols}
            from {quote_ident(raw)} as s
            join numbers on numbers.k = s.rowid
            order by numbers.n
            """,
            {"top": n + len(bad_lines) + 2, "bad": bad_lines},
        )
    drop_staged(con, raw, kinds=("table",))
