"""Readers: turn a CSV, Parquet or .xlsx file into a staging table of text cells.

Every reader writes a temporary DuckDB table with one VARCHAR column per header
plus `__row`, the row number a spreadsheet shows (the header is row 1). Types
are decided later, in SQL, so a bad value is found on its row instead of
failing the whole file. CSV and Parquet are read by DuckDB itself (streaming,
parallel); .xlsx is streamed with openpyxl in read-only mode. An import stages a clean CSV file
unread (`stage_file(defer=True)`, StagedTable.deferred), so that a mapping that keeps every row can
read it once, straight into its mapped table.

One module per kind of file (csv_text, csv_files, xlsx_files; Parquet in stage) and common for the
staged table's shape."""

from closedloop.importer.readers.common import (
    ROW,
    InputFile,
    StagedTable,
    collect_inputs,
    detect_format,
    header_text,
    run_with_progress,
)
from closedloop.importer.readers.csv_text import sniff_delimiter
from closedloop.importer.readers.stage import stage_file

__all__ = [
    "ROW",
    "InputFile",
    "StagedTable",
    "collect_inputs",
    "detect_format",
    "header_text",
    "run_with_progress",
    "sniff_delimiter",
    "stage_file",
]
