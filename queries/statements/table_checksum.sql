-- Statement: a table's row count and an order-independent hash of its content (named by $table).
-- Parameters: $table.
select count(*), md5(string_agg(cast(r as varchar), chr(10) order by cast(r as varchar)))
from query_table($table) as r
