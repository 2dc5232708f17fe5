"""Staging an .xlsx workbook with openpyxl (read-only, streamed): each sheet, its header row,
formulas, merged cells and Excel's error values."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

import duckdb
import pyarrow as pa

from closedloop.importer.catalog import text_table_sql
from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.readers.common import (
    ROW,
    SCAN_CHUNK,
    XLSX_CHUNK,
    InputFile,
    Progress,
    StagedTable,
    _clip,
    _csv_quote,
)
from closedloop.importer.readers.csv_text import _header

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
    con.execute(text_table_sql(table, ROW, columns))
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

    def error(i: int, value: str | None, problem: str, fix: str) -> None:
        out.append(Problem("error", sheet, rownum, columns[i], value, problem, fix))

    width = len(columns)
    for i, text in enumerate(cells[:width]):
        if text is None and formula_row is not None and i < len(formula_row):
            f = formula_row[i]
            formula = f if isinstance(f, str) else getattr(f, "text", None)
            if isinstance(formula, str) and formula.startswith("="):
                error(
                    i,
                    _clip(formula),
                    "the cell holds a formula with no saved value (the program that wrote the workbook "
                    "didn't calculate it), so it would be read as empty",
                    "Open the workbook in Excel or LibreOffice and save it again (that saves every "
                    "formula's value), or paste the values over the formulas.",
                )
        elif text in EXCEL_ERRORS:
            error(
                i,
                text,
                f"the cell shows Excel's error {text}, not a value",
                "Fix the formula in the workbook (or type the value) and save it again.",
            )
    for i, ref in hidden:
        if i < len(cells) and cells[i] is not None:
            continue
        error(
            i,
            None,
            f"the cell is part of the merged cells {ref}; only the first of them holds the value, so "
            "this row's would be empty",
            "Unmerge the cells and write the value on every row (in Excel: select them, Merge & "
            "Center off, Go To Special → Blanks, type = and the cell above, Ctrl+Enter).",
        )
    return out
