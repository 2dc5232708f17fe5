-- Statement: the file of the connection's current database (null or empty: in memory).
-- Parameters: none.
select path from duckdb_databases() where database_name = current_database()
