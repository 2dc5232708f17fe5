-- Statement: the lines DuckDB's CSV reader rejected (its rejects table, named by $rejects), in order.
-- Parameters: $rejects.
select distinct line, error_type::varchar, csv_line
from query_table($rejects)
order by line
