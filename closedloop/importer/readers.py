"""Readers: turn a CSV, Parquet or .xlsx file into a staging table of text cells.

Every reader writes a temporary DuckDB table with one VARCHAR column per header
plus `__row`, the row number a spreadsheet shows (the header is row 1). Types
are decided later, in SQL, so a bad value is found on its row instead of
failing the whole file. CSV and Parquet are read by DuckDB itself (streaming,
parallel); .xlsx is streamed with openpyxl in read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from closedloop.importer.catalog import drop_staged, quote_ident, row_count
from closedloop.importer.errors import Problem, UnreadableFile

ROW = "__row"
HEAD_BYTES = 1 << 16
XLSX_CHUNK = 20_000
DELIMITERS = (",", ";", "\t", "|")
# A header wider than this is refused: DuckDB builds one column per name (100,000 names took
# minutes and gigabytes); Excel itself stops at 16,384 and exports of CRMs stay far below 4,096.
MAX_COLUMNS = 4096
# A line with this many delimiters more than the header is refused before DuckDB reads the file:
# DuckDB records one reject per extra value, which is quadratic (20,000 values: 5.7 s; 100,000: 60 s
# and 3.3 GB). One pass of numpy over the bytes finds such a line (bounded memory: SCAN_CHUNK).
MAX_EXTRA_VALUES = 1000
SCAN_CHUNK = 1 << 20
# bytes Windows-1252 leaves undefined: a file holding them is not Windows-1252
CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")

Progress = Callable[[float], None]


@dataclass(frozen=True)
class InputFile:
    name: str  # as the user knows it (the file's base name)
    path: Path


@dataclass
class StagedTable:
    """One file (or one sheet of a workbook) loaded as text into `table`."""

    file: str
    input: InputFile
    table: str
    columns: list[str]
    rows: int
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    problems: list[Problem] = field(default_factory=list)
    dropped: int = 0  # rows read but not staged (a broken CSV line …): each has an error


def collect_inputs(files: Iterable[Any], workdir: Path) -> list[InputFile]:
    """Paths, folders (their files), or uploaded files (anything with .name and .getvalue()/.read())."""
    out: list[InputFile] = []
    for f in files:
        if isinstance(f, str | Path):
            p = Path(f)
            if p.is_dir():
                out += [InputFile(q.name, q) for q in sorted(p.iterdir()) if q.is_file() and not q.name.startswith(".")]
            elif p.is_file():
                out.append(InputFile(p.name, p))
            else:
                raise UnreadableFile(str(p), "no such file", "Check the path.")
            continue
        if isinstance(f, tuple) and len(f) == 2:
            name, data = f
        else:
            name = Path(str(getattr(f, "name", "upload"))).name
            data = f.getvalue() if hasattr(f, "getvalue") else f.read()
        target = workdir / f"{len(out)}_{Path(str(name)).name}"
        target.write_bytes(bytes(data))
        out.append(InputFile(Path(str(name)).name, target))
    names = [i.name for i in out]
    if len(set(names)) != len(names):
        # rows are reported by file name, so two files of one name would be ambiguous
        dup = sorted({n for n in names if names.count(n) > 1})
        raise UnreadableFile(", ".join(dup), "two input files have the same name", "Rename one of them.")
    return out


def detect_format(inp: InputFile) -> str:
    """csv, parquet or xlsx, from the file's first bytes (extensions lie)."""
    with open(inp.path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise UnreadableFile(inp.name, "the file is empty", "Export it again; it has no header and no rows.")
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(inp.path) as z:
                if "xl/workbook.xml" in z.namelist():
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise UnreadableFile(
            inp.name, "the file is a zip archive, not a workbook", "Unzip it and import the files inside."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(inp.name, "this is a legacy Excel .xls file", "Save it as .xlsx or CSV and import that.")
    if head.startswith(b"\x1f\x8b"):
        raise UnreadableFile(inp.name, "the file is gzip-compressed", "Decompress it first.")
    return "csv"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    table: str,
    header_hints: list[set[str]] | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> list[StagedTable]:
    """Load `inp` into temp table(s) named from `table`; one per sheet for workbooks.

    A file that changes while it is read (its size, modification time or inode differ after the
    read from before it) is refused: the rows would be a mix of two versions.
    """
    before = _fingerprint(inp.path)
    fmt = detect_format(inp)
    if fmt == "parquet":
        out = [_stage_parquet(con, inp, table, limit)]
    elif fmt == "xlsx":
        out = _stage_xlsx(con, inp, table, header_hints or [], progress, limit)
    else:
        out = [_stage_csv(con, inp, table, progress, limit)]
    if _fingerprint(inp.path) != before:
        for staged in out:
            drop_staged(con, staged.table, f"{staged.table}_raw")
        raise UnreadableFile(
            inp.name,
            "the file changed while it was read (its size or modification time is not what it was when "
            "reading started), so its rows would mix two versions",
            "Wait until the program writing it has finished (or import a copy), then import again.",
        )
    return out


def _fingerprint(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


# --- CSV ---------------------------------------------------------------------------------------


def _encoding(head: bytes) -> tuple[str, int]:
    """(encoding, BOM length) for the file that starts with `head`: utf-8, utf-16 or cp1252.

    A file that isn't UTF-8 is read as Windows-1252, the "ANSI" of Excel and CRMs on Windows: it
    is Latin-1 plus € – “ ” ‘ ’ … in 0x80-0x9F. Measured against charset-normalizer 3.5 on five
    Windows-1252 exports (€, dashes, curly quotes; German; French): it named cp1250 for four
    (right by luck for those letters: cp1250 maps à, è, ì … elsewhere) and cp775 for the French
    one, whose "Société Générale" it decoded wrongly, in 0.5-114 ms; this rule read all five
    exactly, in no time. UTF-8 and UTF-16 are recognised before.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 2
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", 0
    except UnicodeDecodeError:
        return "cp1252", 0


def _decode(data: bytes, encoding: str) -> str:
    return data.decode(encoding, errors="replace")


def _transcode(src: Path, encoding: str) -> tuple[Path, list[int]]:
    """A UTF-8 copy of a UTF-16 or Windows-1252 file, which DuckDB then reads (its own Latin-1
    reader refuses € and curly quotes: "File is not latin-1 encoded").

    Bytes that can't be decoded become U+FFFD in the copy; they are returned in file order (for
    Windows-1252 the byte itself, for UTF-16 -1), so each can be reported on its row.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    bad: list[int] = []
    fd, name = tempfile.mkstemp(prefix="closedloop-utf8-", suffix=".csv")
    try:
        with open(src, "rb") as fh, os.fdopen(fd, "wb") as out:
            while chunk := fh.read(SCAN_CHUNK):
                if encoding == "cp1252":
                    bad += [m.group()[0] for m in CP1252_UNDEFINED.finditer(chunk)]
                text = decoder.decode(chunk)
                if encoding != "cp1252":
                    bad += [-1] * text.count("\ufffd")
                out.write(text.encode("utf-8"))
            tail = decoder.decode(b"", final=True)
            bad += [-1] * tail.count("\ufffd")
            out.write(tail.encode("utf-8"))
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), bad


@dataclass
class _Scan:
    nul_lines: list[int] = field(default_factory=list)  # physical lines holding a NUL byte (the first 100)
    wide_line: int | None = None  # the first line with far too many delimiters
    wide_span: tuple[int, int] = (0, 0)  # its byte offsets
    wide_count: int = 0  # its delimiters (at least)


def _scan(path: Path, delimiter: str, width: int) -> _Scan:
    """One pass over the file's bytes, in SCAN_CHUNK pieces (bounded memory), with numpy.

    Finds NUL bytes wherever they are, and a line with more than MAX_EXTRA_VALUES delimiters
    beyond the header's (which DuckDB would take minutes and gigabytes to reject). 0.2 s for
    84 MB, one million lines, on the development machine.
    """
    out = _Scan()
    limit = width - 1 + MAX_EXTRA_VALUES
    d = ord(delimiter)
    db = delimiter.encode()
    line = 1  # the physical line the chunk starts in
    offset = 0  # the chunk's first byte in the file
    line_start = 0  # where that line starts
    carry = 0  # delimiters of that line before the chunk
    with open(path, "rb") as fh:
        while chunk := fh.read(SCAN_CHUNK):
            a = np.frombuffer(chunk, np.uint8)
            nl = np.flatnonzero(a == 10)
            if len(out.nul_lines) < 100 and b"\x00" in chunk:
                z = np.flatnonzero(a == 0)
                out.nul_lines = sorted(set(out.nul_lines) | {int(x) for x in line + np.searchsorted(nl, z)})[:100]
            end = offset + len(chunk)
            if len(nl):
                starts = np.concatenate(([line_start - offset], nl[:-1] + 1))
                longest = max(int((nl - starts).max()), len(chunk) - int(nl[-1]) - 1)
            else:
                longest = end - line_start
            if longest > limit:
                # a line with more than `limit` delimiters is longer than `limit` bytes: only then
                # are the delimiters counted, line by line
                dl = np.flatnonzero(a == d)
                if len(nl):
                    per_line = np.diff(np.searchsorted(dl, nl), prepend=0)
                    per_line[0] += carry
                    worst = int(np.argmax(per_line))
                    if per_line[worst] > limit:
                        start = line_start if worst == 0 else offset + int(nl[worst - 1]) + 1
                        out.wide_line, out.wide_count = line + worst, int(per_line[worst])
                        out.wide_span = (start, offset + int(nl[worst]))
                        return out
            if len(nl):
                carry = chunk.count(db, int(nl[-1]) + 1)
                line_start = offset + int(nl[-1]) + 1
                line += len(nl)
            else:
                carry += chunk.count(db)
            if carry > limit:
                # a line longer than the chunk that already has too many values: no need to read on
                out.wide_line, out.wide_count = line, carry
                out.wide_span = (line_start, end)
                return out
            offset = end
    return out


def _records(text: str, delimiter: str, n: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    out = []
    try:
        for rec in reader:
            out.append(rec)
            if len(out) >= n:
                break
    except csv.Error:
        pass
    return out


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most fields, preferring one the next rows agree with."""
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        recs = [r for r in _records(text, d, 12) if r]
        if not recs:
            continue
        width = len(recs[0])
        body = recs[1:-1] or recs[1:]  # the last record of the sample may be cut short
        agree = sum(len(r) == width for r in body)
        score = (int(width > 1 and (not body or agree * 2 >= len(body))), width)
        if score > best_score:
            best, best_score = d, score
    return best


def _header(text: str, delimiter: str, file: str) -> tuple[list[str], list[Problem]]:
    recs = _records(text, delimiter, 1)
    if not recs or not any(h.strip() for h in recs[0]):
        raise UnreadableFile(file, "the file has no header row", "The first row must name the columns.")
    names, problems, seen = [], [], set()
    for i, h in enumerate(recs[0], start=1):
        name = h.strip().lstrip("\ufeff") or f"column_{i}"
        if name.lower() in seen:
            problems.append(
                Problem(
                    "warning",
                    file,
                    1,
                    h,
                    h,
                    f"the header {h!r} appears twice",
                    f"Renamed the repeat to '{name} ({i})'; rename the column in the file.",
                )
            )
            name = f"{name} ({i})"
        seen.add(name.lower())
        names.append(name)
    return names, problems


def _footer_lines(path: Path, encoding: str, delimiter: str) -> int:
    """How many lines at the end are a report footer (a blank line, then one-value lines).

    Salesforce report exports end like that ("Copyright (c) … salesforce.com",
    "Generated By: …"); those lines are not data rows.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 8192))
        tail = _decode(fh.read(), encoding)
    lines = tail.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    count = 0
    while lines and lines[-1].strip() and count < 10:
        recs = _records(lines[-1], delimiter, 1)
        if not recs or len(recs[0]) > 1:
            return 0
        count += 1
        lines.pop()
    return count if count and lines and not lines[-1].strip() else 0


def _one_value(line: str | None, delimiter: str) -> bool:
    return all(len(r) <= 1 for r in _records(line or "", delimiter, 5))


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
    con: duckdb.DuckDBPyConnection, inp: InputFile, table: str, progress: Progress | None, limit: int | None
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
            Problem(
                "warning",
                inp.name,
                None,
                None,
                None,
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
            con, inp, path, table, columns, delimiter, encoding, problems, undecodable, progress, limit
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
) -> StagedTable:
    """Read `path`, a UTF-8 file (the original or a transcoded copy), with DuckDB."""
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
    sql = (
        f"create temp table {raw} as select * from read_csv($path, delim=$delim, quote='\"', escape='\"', "
        f"header=true, auto_detect=false, columns=$columns, encoding='utf-8', store_rejects=true, "
        f"rejects_table='{rejects}', rejects_scan='{scan}', max_line_size=8388608, parallel=true)"
        + (f" limit {int(limit)}" if limit else "")
    )
    params = {
        "path": str(path),
        "delim": delimiter,
        "columns": {c: "VARCHAR" for c in columns},
    }
    try:
        run_with_progress(con, sql, params, progress)
        bad = con.execute(
            f"select distinct line, error_type::varchar, csv_line from {rejects} order by line"
        ).fetchall()
        # where the first byte that isn't UTF-8 is on each such line, to name it
        bad_bytes = dict(
            con.execute(
                f"select line, min(line_byte_position) from {rejects} where error_type = 'INVALID ENCODING' "
                "group by line"
            ).fetchall()
        )
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
            Problem(
                "warning",
                inp.name,
                None,
                None,
                None,
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
        con.execute(f"create temp view {table} as select rowid + 2 as {ROW}, {cols} from {raw}")
        return
    else:
        # the k-th accepted row sits on the k-th row number no rejected row took
        con.execute(
            f"""
            create temp table {table} as
            with numbers as (
                select n, row_number() over (order by n) - 1 as k
                from range(2, $top) as r(n)
                where not list_contains($bad, n)
            )
            select numbers.n as {ROW}, {cols}
            from {raw} as s
            join numbers on numbers.k = s.rowid
            order by numbers.n
            """,
            {"top": n + len(bad_lines) + 2, "bad": bad_lines},
        )
    con.execute(f"drop table {raw}")


def _clip(s: str | None, n: int = 200) -> str | None:
    if s is None:
        return None
    s = s.strip("\r\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def run_with_progress(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None, progress: Progress | None
) -> None:
    """Run one long statement, reporting DuckDB's own progress estimate while it runs.

    The statement runs on a worker thread so the callback is called from the
    caller's thread (Streamlit draws only from the script's thread).
    """
    if progress is None:
        con.execute(sql, params or {})
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql, params or {})
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
            pct = con.query_progress()
            if pct >= 0:
                progress(min(pct, 100.0) / 100.0)
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]
    progress(1.0)


# --- Parquet -----------------------------------------------------------------------------------


def _stage_parquet(con: duckdb.DuckDBPyConnection, inp: InputFile, table: str, limit: int | None) -> StagedTable:
    try:
        described = con.execute("describe select * from read_parquet($path)", {"path": str(inp.path)}).fetchall()
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


# --- Excel -------------------------------------------------------------------------------------


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        # ids and counts typed as numbers come back as 1234.0
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") and hasattr(v, "date") else v.isoformat()
    return str(v)


def _find_header(rows: list[tuple[Any, ...]], hints: list[set[str]]) -> int | None:
    """Index of the header row among the first rows: the one holding a source's signature,
    else the first with two or more values (report exports put a title block above it)."""
    texts = [[(_cell_text(c) or "").strip() for c in r] for r in rows]
    for hint in hints:
        want = {h.lower() for h in hint}
        for i, t in enumerate(texts):
            if want and want <= {c.lower() for c in t}:
                return i
    for i, t in enumerate(texts):
        if sum(bool(c) for c in t) >= 2:
            return i
    return next((i for i, t in enumerate(texts) if any(t)), None)


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    table: str,
    hints: list[set[str]],
    progress: Progress | None,
    limit: int | None,
) -> list[StagedTable]:
    import openpyxl  # imported here: only workbooks need it

    try:
        wb = openpyxl.load_workbook(inp.path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise UnreadableFile(
            inp.name,
            f"the workbook can't be opened ({type(exc).__name__}: {exc})",
            "Open it in Excel and save it again as .xlsx.",
        ) from exc
    out: list[StagedTable] = []
    formulas_wb = None  # the workbook again, with formulas instead of values: opened if a sheet has any
    try:
        sheets = wb.worksheets
        for i, ws in enumerate(sheets):
            name = inp.name if len(sheets) == 1 else f"{inp.name} [{ws.title}]"
            has_formulas, merged = _sheet_xml_facts(wb, ws)
            formulas_ws = None
            if has_formulas:
                if formulas_wb is None:
                    formulas_wb = openpyxl.load_workbook(inp.path, read_only=True, data_only=False)
                formulas_ws = formulas_wb[ws.title]
            staged = _stage_sheet(con, inp, ws, name, f"{table}_s{i}", hints, progress, limit, formulas_ws, merged)
            if staged is not None:
                staged.sheet = ws.title
                out.append(staged)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise UnreadableFile(
            inp.name,
            f"the workbook can't be read ({type(exc).__name__}: {exc})",
            "Open it in Excel and save it again as .xlsx.",
        ) from exc
    finally:
        wb.close()
        if formulas_wb is not None:
            formulas_wb.close()
    if not out:
        raise UnreadableFile(inp.name, "the workbook has no data", "Put a header row and data rows on the first sheet.")
    return out


FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")
MERGE_TAG = re.compile(rb'<(?:\w+:)?mergeCell [^>]*ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


def _sheet_xml_facts(wb: Any, ws: Any) -> tuple[bool, list[tuple[int, int, int, int, str]]]:
    """Whether the sheet holds formulas, and its merged ranges (min_col, min_row, max_col, max_row,
    ref), from one streamed pass over its XML: openpyxl's read-only mode keeps neither."""
    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is None or archive is None:  # another openpyxl: assume formulas, know no merges
        return True, []
    formulas, refs, tail = False, [], b""
    with archive.open(path) as src:
        while chunk := src.read(SCAN_CHUNK):
            data = tail + chunk
            formulas = formulas or FORMULA_TAG.search(data) is not None
            cut = data.rfind(b"<")
            # a tag cut by the chunk's end is looked at again with the next chunk
            done, tail = (data[:cut], data[cut:]) if cut > 0 and len(data) - cut < 512 else (data, b"")
            refs += MERGE_TAG.findall(done)
        refs += MERGE_TAG.findall(tail)
    merged = []
    for ref in dict.fromkeys(refs):
        min_col, min_row, max_col, max_row = range_boundaries(ref.decode())
        merged.append((min_col, min_row, max_col, max_row, ref.decode()))
    return formulas, merged


def _stage_sheet(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    ws: Any,
    name: str,
    table: str,
    hints: list[set[str]],
    progress: Progress | None,
    limit: int | None,
    formulas_ws: Any = None,
    merged: list[tuple[int, int, int, int, str]] | None = None,
) -> StagedTable | None:
    values: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True)
    # the same rows with formulas in place of values, to tell a formula with no saved value from an
    # empty cell (both read as None from the values)
    formulas = formulas_ws.iter_rows(values_only=True) if formulas_ws is not None else itertools.repeat(None)
    rows: Iterator[tuple[tuple[Any, ...], Any]] = zip(values, formulas)  # noqa: B905 (the same XML)
    first_pairs: list[tuple[tuple[Any, ...], Any]] = []
    for pair in rows:
        first_pairs.append(pair)
        if len(first_pairs) >= 30:
            break
    first = [r for r, _ in first_pairs]
    h = _find_header(first, hints)
    if h is None:
        return None
    header_cells = [(_cell_text(c) or "").strip() for c in first[h]]
    while header_cells and not header_cells[-1]:
        header_cells.pop()
    columns, problems = _header(",".join(_csv_quote(c) for c in header_cells), ",", name)
    width = len(columns)
    schema = pa.schema([(ROW, pa.int64())] + [(f"c{i}", pa.string()) for i in range(width)])
    con.execute(
        f"create temp table {table} ({ROW} bigint, " + ", ".join(f"{quote_ident(c)} varchar" for c in columns) + ")"
    )
    total = ws.max_row or 0
    buf: list[list[Any]] = [[] for _ in range(width + 1)]
    n = 0

    def flush() -> None:
        if not buf[0]:
            return
        chunk = pa.Table.from_arrays([pa.array(col, t.type) for col, t in zip(buf, schema, strict=True)], schema=schema)
        # the staging table by name through the relation API (a name can't be bound)
        con.from_arrow(chunk).insert_into(table)
        for col in buf:
            col.clear()

    def body() -> Iterator[tuple[int, tuple[tuple[Any, ...], Any]]]:
        yield from enumerate(first_pairs[h + 1 :], start=h + 2)
        yield from enumerate(rows, start=len(first) + 1)

    # merged cells: every cell of a range but its top-left one reads as empty
    hidden: dict[int, list[tuple[int, str]]] = {}
    for min_col, min_row, max_col, max_row, ref in merged or []:
        for row in range(max(min_row, h + 2), max_row + 1):
            for col in range(min_col, min(max_col, width) + 1):
                if (row, col) != (min_row, min_col):
                    hidden.setdefault(row, []).append((col - 1, ref))

    dropped = 0
    for rownum, (r, fr) in body():
        cells = [_cell_text(c) for c in r]
        if not any(c is not None and str(c).strip() for c in cells):  # a blank row, merged or not
            continue
        if fr is not None or rownum in hidden or not EXCEL_ERRORS.isdisjoint(cells):
            problems += _cell_problems(name, rownum, columns, cells, fr, hidden.get(rownum, ()))
        extra = [c for c in cells[width:] if c is not None and c.strip()]
        if extra:
            problems.append(
                Problem(
                    "error",
                    name,
                    rownum,
                    None,
                    _clip(" | ".join(extra)),
                    "the row has values to the right of the last named column",
                    "Give that column a header, or delete the stray values.",
                )
            )
            dropped += 1
            continue
        cells += [None] * (width - len(cells))
        buf[0].append(rownum)
        for i in range(width):
            buf[i + 1].append(cells[i])
        n += 1
        if len(buf[0]) >= XLSX_CHUNK:
            flush()
            if progress and total:
                progress(min(rownum / total, 1.0))
        if limit and n >= limit:
            break
    flush()
    if progress:
        progress(1.0)
    return StagedTable(name, inp, table, columns, n, "xlsx", problems=problems, dropped=dropped)


def _cell_problems(
    sheet: str,
    rownum: int,
    columns: list[str],
    cells: list[str | None],
    formula_row: tuple[Any, ...] | None,
    hidden: Iterable[tuple[int, str]],
) -> list[Problem]:
    """Cells of one row that would be stored wrong: a formula without a saved value (read as
    empty), an Excel error value (#REF! …), a cell hidden under a merged range."""
    out = []
    width = len(columns)
    for i, text in enumerate(cells[:width]):
        if text is None and formula_row is not None and i < len(formula_row):
            f = formula_row[i]
            formula = f if isinstance(f, str) else getattr(f, "text", None)
            if isinstance(formula, str) and formula.startswith("="):
                out.append(
                    Problem(
                        "error",
                        sheet,
                        rownum,
                        columns[i],
                        _clip(formula),
                        "the cell holds a formula with no saved value (the program that wrote the workbook "
                        "didn't calculate it), so it would be read as empty",
                        "Open the workbook in Excel or LibreOffice and save it again (that saves every "
                        "formula's value), or paste the values over the formulas.",
                    )
                )
        elif text in EXCEL_ERRORS:
            out.append(
                Problem(
                    "error",
                    sheet,
                    rownum,
                    columns[i],
                    text,
                    f"the cell shows Excel's error {text}, not a value",
                    "Fix the formula in the workbook (or type the value) and save it again.",
                )
            )
    for i, ref in hidden:
        if i < len(cells) and cells[i] is not None:
            continue
        out.append(
            Problem(
                "error",
                sheet,
                rownum,
                columns[i],
                None,
                f"the cell is part of the merged cells {ref}; only the first of them holds the value, so "
                "this row's would be empty",
                "Unmerge the cells and write the value on every row (in Excel: select them, Merge & "
                "Center off, Go To Special → Blanks, type = and the cell above, Ctrl+Enter).",
            )
        )
    return out


def _csv_quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def header_text(columns: list[str]) -> str:
    """A header as the user would write it, for messages."""
    return ", ".join(columns) if len(columns) <= 12 else ", ".join(columns[:12]) + ", …"
