"""Importing CRM and marketing exports into the canonical tables (issue 5).

The API the CLI and the Data page use:

- `list_presets()`, `load_mapping(name_or_path)`, `parse_mapping(text)`
- `read_preview(file, mapping=None, limit=20)`: the file's first rows, raw or mapped
- `validate(con, files, mapping)`: a ValidationReport, nothing written
- `import_files(db_path_or_con, files, mapping, on_error="fail"|"quarantine", progress=cb)`
- `data_quality(con)`: each check's (count, sample)

`files` are paths, folders, or uploaded files (objects with `.name` and
`.getvalue()`), or (name, bytes) pairs.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from sqlglot import exp

from closedloop import db
from closedloop.importer.errors import ImportFailed, MappingError, Problem, UnreadableFile
from closedloop.importer.load import ImportResult, import_files
from closedloop.importer.mapping import Mapping, PresetInfo, list_presets, load_mapping, parse_mapping
from closedloop.importer.quality import data_quality
from closedloop.importer.readers import ROW, collect_inputs, stage_file
from closedloop.importer.validate import Run, ValidationReport, validate

__all__ = [
    "ImportFailed",
    "ImportResult",
    "Mapping",
    "MappingError",
    "PresetInfo",
    "Problem",
    "UnreadableFile",
    "ValidationReport",
    "data_quality",
    "import_files",
    "list_presets",
    "load_mapping",
    "parse_mapping",
    "read_preview",
    "validate",
]


def read_preview(file: Any, mapping: Mapping | str | Path | None = None, limit: int = 20) -> pd.DataFrame:
    """The first `limit` rows of one file.

    Without a mapping: the columns as the file has them (text). With one: the
    canonical columns of the table the file maps to, typed, with `row` (the
    spreadsheet row) first; a value that can't be converted shows as empty.
    Raises ImportFailed (with the fix) when the file can't be read or matched.
    """
    con = duckdb.connect()
    workdir = Path(tempfile.mkdtemp(prefix="closedloop-preview-"))
    try:
        db.create_schema(con)
        if mapping is None:
            inp = collect_inputs([file], workdir)[0]
            staged = stage_file(con, inp, "_preview", limit=limit)[0]
            df = con.table(staged.table).order(ROW).limit(int(limit)).df()
            return df.rename(columns={ROW: "row"})
        run = Run(con, [file], mapping, limit=limit)
        try:
            run.prepare()
            if not run.mapped:
                report = run.report()
                raise ImportFailed("; ".join(report.lines(limit=5)) or "The file matches no source of the mapping.")
            m = run.mapped[0]
            # the mapped columns of the staged table, named as quoted identifiers by SQLGlot
            preview = (
                exp.select(
                    exp.column(ROW, quoted=True).as_("row"), *(exp.column(c.name, quoted=True) for c in m.columns)
                )
                .from_(exp.Table(this=exp.to_identifier(m.table, quoted=True)))
                .order_by(exp.column(ROW, quoted=True))
                .limit(exp.Placeholder(this="limit"))
            )
            return con.execute(preview.sql(dialect="duckdb"), {"limit": int(limit)}).df()
        finally:
            run.close()
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
