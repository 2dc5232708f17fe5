"""Reading a CSV file's bytes: its encoding, delimiter and header, and one numpy pass for NUL bytes
and absurdly wide lines, before DuckDB reads it."""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from closedloop.importer.errors import Problem, UnreadableFile
from closedloop.importer.readers.common import CP1252_UNDEFINED, DELIMITERS, MAX_EXTRA_VALUES, SCAN_CHUNK

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
    """The delimiter that splits the header into the most fields, preferring one the next rows agree with.

    Kept instead of DuckDB's sniff_csv: on eight small test files (semicolons with decimal commas,
    delimiters inside quotes, one column, header only, tab, pipe, a short last row) both agreed on
    seven, and on the file whose last row is one value short sniff_csv named '|' (this names ',');
    it took 7-51 ms a file against 0.1 ms here, and it reads the file itself, where this reads
    the head already decoded from cp1252 / UTF-16.
    """
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
