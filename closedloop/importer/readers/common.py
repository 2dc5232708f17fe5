"""What every reader shares: the staged table's shape, the input files, progress, quoting."""

from __future__ import annotations

import re
import threading
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from closedloop.importer.errors import Problem, UnreadableFile

ROW = "__row"
# the spreadsheet row of a file's first data row (the header is row 1): rows read in the file's
# order are numbered rowid + FIRST_ROW
FIRST_ROW = 2
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
    # a CSV file not read yet (stage_file(defer=True)): the mapping may read it straight into its
    # mapped table; otherwise `deferred.finish()` stages it as above
    deferred: DeferredRead | None = None


@dataclass
class DeferredRead:
    """A clean UTF-8 CSV file whose read waits for the mapping: read once into the mapped table
    instead of into a staged text table first, whose copy of 10.5M rows cost 2.7 s (measured
    under the import's 1.5 GB budget: 7.3 s read and map apart, 4.6 s in one statement).

    `select` (with `params`) reads the file's rows, every value as text, in the file's order, with
    no row numbers; rejected lines go to temp tables `rejects` and `scan`. A mapping that reads it
    must then look at `rejects` and call `unchanged()`: when a line was rejected or the file changed,
    it drops what it made and `finish()` stages the file as an undeferred read would (and refuses a
    file that changed)."""

    select: str
    params: dict[str, Any]
    rejects: str
    scan: str
    progress: Progress | None
    finish: Callable[[], StagedTable]
    unchanged: Callable[[], bool]


def collect_inputs(files: Iterable[Any], workdir: Path) -> list[InputFile]:
    """Paths, folders (their files), or uploaded files (anything with .name and .getvalue()/.read())."""
    out: list[InputFile] = []
    for f in files:
        if isinstance(f, str | Path):
            p = Path(f)
            if p.is_dir():
                # a folder's .toml files are mappings kept beside the data (docs/import.md), not data
                out += [InputFile(q.name, q) for q in sorted(p.iterdir()) if _data_file(q)]
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


def _data_file(path: Path) -> bool:
    """Whether a file found in an imported folder is read as data: not hidden, not a .toml mapping."""
    return path.is_file() and not path.name.startswith(".") and path.suffix.lower() != ".toml"


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


def _fingerprint(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


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


def _csv_quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def header_text(columns: list[str]) -> str:
    """A header as the user would write it, for messages."""
    return ", ".join(columns) if len(columns) <= 12 else ", ".join(columns[:12]) + ", …"
