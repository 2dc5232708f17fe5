-- Statement: the schema version a database records.
-- Parameters: none.
select value
from schema_info
where key = 'schema_version'
