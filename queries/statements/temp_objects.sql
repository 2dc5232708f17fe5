-- Statement: the connection's temporary tables and views by name, with their kind ('table' or
-- 'view'), so the importer drops a staged object with the statement of its kind: a failed drop
-- would abort the import's transaction.
-- Parameters: none.
select table_name as name, 'table' as kind
from duckdb_tables()
where temporary
union all
select view_name, 'view'
from duckdb_views()
where temporary and not internal
