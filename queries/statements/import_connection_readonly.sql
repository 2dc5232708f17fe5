-- Statement: whether the connection's database is open read-only (an import needs it writable).
-- Parameters: none.
select readonly
from duckdb_databases()
where database_name = current_database()
