"""What the importer may write, and the rules of the canonical tables it checks before writing.

Table and column names reach SQL only from here or from the database's own
catalog (an allowlist): identifiers can't be bound as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import duckdb
from sqlglot import exp

from closedloop import db

# The tables an import may write, parents before children so references resolve
# in one pass. retro_notes and reviews are written only by the app.
IMPORT_TABLES: tuple[str, ...] = (
    "accounts",
    "campaigns",
    "contacts",
    "leads",
    "deals",
    "deal_contacts",
    "deal_stage_history",
    "touchpoints",
    "spend",
)

KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "campaigns": ("campaign_id",),
    "contacts": ("contact_id",),
    "leads": ("lead_id",),
    "deals": ("deal_id",),
    "deal_contacts": ("deal_id", "contact_id"),
    "deal_stage_history": ("deal_id", "stage", "entered_at"),
    "touchpoints": ("touchpoint_id",),
    # a spend file is by campaign or by channel: the other column keeps its default '' (docs/spend.md)
    "spend": ("spend_date", "channel", "campaign_id"),
}

# The columns of each table that name another table's row: each names the table whose key is that
# column (account_id -> accounts).
_REFERRING: dict[str, tuple[str, ...]] = {
    "contacts": ("account_id",),
    "leads": ("contact_id", "account_id", "campaign_id"),
    "deals": ("account_id",),
    "deal_contacts": ("deal_id", "contact_id"),
    "deal_stage_history": ("deal_id",),
    "touchpoints": ("account_id", "contact_id", "campaign_id"),
    "spend": ("campaign_id",),
}
_KEYED_BY: dict[str, str] = {key[0]: table for table, key in KEYS.items() if len(key) == 1}

# (table, column) -> the table whose key it names.
REFERENCES: dict[tuple[str, str], str] = {
    (table, column): _KEYED_BY[column] for table, columns in _REFERRING.items() for column in columns
}

# DESIGN.md: "Touchpoint types include at least" these; a mapping may add more.
TOUCHPOINT_TYPES: tuple[str, ...] = (
    "ebook_download",
    "whitepaper_download",
    "ad_view",
    "ad_click",
    "email_open",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "event_attended",
    "website_visit",
    "demo_request",
    "content_syndication",
    "form_submission",
    "sales_email",
    "sales_call",
    "sales_meeting",
    "linkedin_inmail",
)

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("touchpoints", "team"): ("marketing", "sales"),
    ("touchpoints", "touchpoint_type"): TOUCHPOINT_TYPES,
    ("deals", "outcome"): ("won", "lost", "open"),
}

# The date columns a source's `as_of` fills for an export without dates (docs/import.md): the
# rows get the stand-in date and dates_unknown = true, and no duration is computed from them.
DATED_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("created_at",),
    "deals": ("created_at", "closed_at"),
    "touchpoints": ("occurred_at",),
}

NON_NEGATIVE: frozenset[tuple[str, str]] = frozenset(
    {("deals", "amount"), ("campaigns", "cost"), ("accounts", "employees"), ("spend", "amount")}
)

# Words used in messages: "unknown account 'X'".
SINGULAR: dict[str, str] = {
    "accounts": "account",
    "campaigns": "campaign",
    "contacts": "contact",
    "leads": "lead",
    "deals": "deal",
    "deal_contacts": "deal contact role",
    "deal_stage_history": "stage change",
    "touchpoints": "touchpoint",
    "spend": "spend row",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | timestamp | number | integer | date | boolean
    required: bool  # part of the key or NOT NULL


def _kind(data_type: str) -> str:
    t = data_type.upper()
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t in {"DOUBLE", "FLOAT", "REAL"} or t.startswith("DECIMAL"):
        return "number"
    if t in {"INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}:
        return "integer"
    if t == "BOOLEAN":
        return "boolean"
    return "text"


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[Column]]:
    """The importable tables of the database behind `con`, with their columns in order."""
    rows = db.execute(con, "main_table_columns").fetchall()
    out: dict[str, list[Column]] = {t: [] for t in IMPORT_TABLES}
    for table, column, data_type, nullable, default in rows:
        if table in out:
            # a key column with a default (spend's channel / campaign_id: '') may be left out
            required = (column in KEYS[table] or not nullable) and default is None
            out[table].append(Column(column, _kind(data_type), required))
    return out


@lru_cache(maxsize=1)
def canonical_columns() -> dict[str, tuple[Column, ...]]:
    """The columns of a fresh database built from queries/schema.sql (checks mappings offline)."""
    con = duckdb.connect()
    try:
        db.create_schema(con)
        return {t: tuple(cols) for t, cols in table_columns(con).items()}
    finally:
        con.close()


def row_count(con: duckdb.DuckDBPyConnection, table: str, where: str | None = None) -> int:
    """Rows of a (staging) table by name, or of a parenthesized subquery of the validator (its
    good rows), through the relation API: a name can't be bound as a parameter, and the relation
    API takes it without formatting SQL. `where`: a fixed filter."""
    rel = con.sql(table[1:-1]) if table.startswith("(") else con.table(table)
    if where is not None:
        rel = rel.filter(where)
    return int(rel.aggregate("count(*)").fetchall()[0][0])


def quote_ident(name: str) -> str:
    """A SQL identifier for a name read from a file header or the catalog."""
    return '"' + name.replace('"', '""') + '"'


def _ident_table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def text_table_sql(table: str, row: str, columns: list[str]) -> str:
    """A temp table of a file's rows as text: the row number `row`, then one text column per header
    name (the file's own names, so SQLGlot quotes each; none is formatted into SQL)."""
    defs = [exp.ColumnDef(this=exp.to_identifier(row, quoted=True), kind=exp.DataType.build("bigint"))]
    defs += [exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build("varchar")) for c in columns]
    return exp.Create(
        this=exp.Schema(this=_ident_table(table), expressions=defs),
        kind="TABLE",
        properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
    ).sql(dialect="duckdb")


# Names of staging tables can't be bound as parameters: SQLGlot builds the drop with the name as
# a quoted identifier.
def _drop_sql(kind: str, name: str) -> str:
    return exp.Drop(tables=[_ident_table(name)], kind=kind.upper(), exists=True).sql(dialect="duckdb")


def drop_staged(con: duckdb.DuckDBPyConnection, *names: str, kinds: tuple[str, ...] = ("view", "table")) -> None:
    """Drop staging tables or views by name, whichever each is; absent ones are fine. Each is
    dropped by its kind as the catalog has it, never by trying: inside the import's transaction a
    failed statement would abort it."""
    present = dict(db.execute(con, "temp_objects").fetchall())
    for name in names:
        kind = present.pop(name, None)
        if kind in kinds:
            con.execute(_drop_sql(kind, name))
