"""What Spark reads and builds, and the error of a query it cannot run right."""

from __future__ import annotations

from closedloop import db

# reads from its source.
CANONICAL_TABLES = (*db.CANONICAL_TABLES, "spend")
# Written by the app: they stay in the local DuckDB file (CLOSEDLOOP_DB) and are shipped to
# Spark as small temporary views when a query reads them.
APP_TABLES = ("retro_notes", "reviews", "review_deals", "review_settings", "import_log", "import_rejects")

# Queries that do not run on Spark, and why (tests/test_spark_translate.py holds every other
# queries/*.sql to translating). The journey tables (cl_key, cl_deal, cl_touch) are built on
# Spark from the same macros (closedloop.engine.spark); their DuckDB bookkeeping is not needed there.
_DUCKDB_BOOKKEEPING = "keeps DuckDB's stored journey tables current; Spark builds its own (engine/spark.py)"
NOT_YET_ON_SPARK: dict[str, str] = {
    "derived_storage": "reads DuckDB's storage metadata (pragma_storage_info()) to tell the journey tables current",
    "derived_meta": _DUCKDB_BOOKKEEPING,
    "derived_tables_present": "reads DuckDB's catalog (duckdb_tables())",
}
# the journey tables of queries/derived_build.sql, as Spark builds them (temporary views, cached)
JOURNEY_TABLES = ("cl_key", "cl_deal", "cl_touch")
JOURNEY_BUILD = {
    "cl_key": "select * from journey_key_rows()",
    "cl_deal": "select * from journey_deal_rows()",
    "cl_touch": "select * from journey_rows('account', cast($now as timestamp), cast(null as integer[])) "
    "union all select * from journey_rows('contact_roles', cast($now as timestamp), cast(null as integer[]))",
}


class NotOnSpark(ValueError):
    """A query uses a construct whose Spark translation would be wrong, or that Spark lacks."""
