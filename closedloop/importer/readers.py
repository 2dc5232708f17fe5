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
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from closedloop.importer.catalog import quote_ident, row_count
from closedloop.importer.errors import Problem, UnreadableFile

ROW = "__row"
HEAD_BYTES = 1 << 16
XLSX_CHUNK = 20_000
DELIMITERS = (",", ";", "\t", "|")

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
    """Load `inp` into temp table(s) named from `table`; one per sheet for workbooks."""
    fmt = detect_format(inp)
    if fmt == "parquet":
        return [_stage_parquet(con, inp, table, limit)]
    if fmt == "xlsx":
        return _stage_xlsx(con, inp, table, header_hints or [], progress, limit)
    return [_stage_csv(con, inp, table, progress, limit)]


# --- CSV ---------------------------------------------------------------------------------------


def _encoding(head: bytes) -> tuple[str, int]:
    """(DuckDB encoding name, BOM length) for the file that starts with `head`."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", 2
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", 0
    except UnicodeDecodeError:
        # Excel on Windows and older CRMs write Latin-1 / cp1252
        return "latin-1", 0


def _decode(data: bytes, encoding: str) -> str:
    if encoding == "utf-16":
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8" if encoding == "utf-8" else "latin-1", errors="replace")


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
    if b"\x00" in head and encoding != "utf-16":
        raise UnreadableFile(
            inp.name, "the file holds binary data, not text", "Export it again as CSV, Parquet or .xlsx."
        )
    text = _decode(head[bom:], encoding)
    if not text.strip():
        raise UnreadableFile(inp.name, "the file is empty", "Export it again; it has no header and no rows.")
    delimiter = sniff_delimiter(text)
    columns, problems = _header(text, delimiter, inp.name)
    if encoding == "latin-1":
        problems.append(
            Problem(
                "warning",
                inp.name,
                None,
                None,
                None,
                "the file is not UTF-8; it was read as Latin-1 (Windows Western)",
                "Check accented names in the preview; save as 'CSV UTF-8' to be sure.",
            )
        )
    raw, rejects = f"{table}_raw", f"{table}_rej"
    scan = f"{table}_scan"
    sql = (
        f"create temp table {raw} as select * from read_csv($path, delim=$delim, quote='\"', escape='\"', "
        f"header=true, auto_detect=false, columns=$columns, encoding=$encoding, store_rejects=true, "
        f"rejects_table='{rejects}', rejects_scan='{scan}', max_line_size=8388608, parallel=true)"
        + (f" limit {int(limit)}" if limit else "")
    )
    params = {
        "path": str(inp.path),
        "delim": delimiter,
        "columns": {c: "VARCHAR" for c in columns},
        "encoding": encoding,
    }
    try:
        run_with_progress(con, sql, params, progress)
        bad = con.execute(
            f"select distinct line, error_type::varchar, csv_line from {rejects} order by line"
        ).fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableFile(
            inp.name,
            f"the file can't be read as CSV ({first})",
            "Check that it is a CSV export; open it in a text editor to look.",
        ) from exc
    finally:
        for t in (rejects, scan):
            con.execute(f"drop table if exists {t}")
    footer = _footer_lines(inp.path, encoding, delimiter) if bad and len(columns) > 1 else 0
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
        problems.append(Problem("error", inp.name, int(line), None, _clip(csv_line), what, fix))
    n = row_count(con, raw)
    _number_rows(con, raw, table, columns, lines, n)
    return StagedTable(inp.name, inp, table, columns, n, "csv", encoding, delimiter, problems=problems)


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
    try:
        sheets = wb.worksheets
        for i, ws in enumerate(sheets):
            name = inp.name if len(sheets) == 1 else f"{inp.name} [{ws.title}]"
            staged = _stage_sheet(con, inp, ws, name, f"{table}_s{i}", hints, progress, limit)
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
    if not out:
        raise UnreadableFile(inp.name, "the workbook has no data", "Put a header row and data rows on the first sheet.")
    return out


def _stage_sheet(
    con: duckdb.DuckDBPyConnection,
    inp: InputFile,
    ws: Any,
    name: str,
    table: str,
    hints: list[set[str]],
    progress: Progress | None,
    limit: int | None,
) -> StagedTable | None:
    rows: Iterator[tuple[Any, ...]] = ws.iter_rows(values_only=True)
    first: list[tuple[Any, ...]] = []
    for r in rows:
        first.append(r)
        if len(first) >= 30:
            break
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

    def body() -> Iterator[tuple[int, tuple[Any, ...]]]:
        yield from enumerate(first[h + 1 :], start=h + 2)
        yield from enumerate(rows, start=len(first) + 1)

    for rownum, r in body():
        cells = [_cell_text(c) for c in r]
        if not any(c is not None and str(c).strip() for c in cells):
            continue
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
    return StagedTable(name, inp, table, columns, n, "xlsx", problems=problems)


def _csv_quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def header_text(columns: list[str]) -> str:
    """A header as the user would write it, for messages."""
    return ", ".join(columns) if len(columns) <= 12 else ", ".join(columns[:12]) + ", …"
