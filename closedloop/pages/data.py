"""What the Data page shows besides the importer itself: past imports and quarantined rows."""

from __future__ import annotations

import duckdb
import pandas as pd

from closedloop import db


def import_history(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    return db.run(con, "import_history", limit=limit)


def recent_rejects(con: duckdb.DuckDBPyConnection, limit: int = 500) -> pd.DataFrame:
    return db.run(con, "import_rejects_recent", limit=limit)
