-- Statement: how many of the app's own tables named in $tables the database has
-- (a database built by an older version gets them from schema.sql).
-- Parameters: $tables (table names).
select count(*) as present
from duckdb_tables()
where list_contains(cast($tables as varchar[]), table_name)
