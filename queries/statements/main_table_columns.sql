-- Statement: every column of the connection's database's tables (schema main), in table order.
-- Parameters: none.
select table_name, column_name, data_type, is_nullable, column_default
from duckdb_columns()
where database_name = current_database() and schema_name = 'main'
order by table_name, column_index
