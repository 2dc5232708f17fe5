-- Statement: the tables of the connection's database (schema main), by name.
-- Parameters: none.
select table_name
from duckdb_tables()
where database_name = current_database() and schema_name = 'main'
order by table_name
