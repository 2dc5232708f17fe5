-- Statement: where the first byte that isn't UTF-8 is on each line the CSV reader rejected for it
-- (its rejects table, named by $rejects).
-- Parameters: $rejects.
select line, min(line_byte_position)
from query_table($rejects)
where error_type = 'INVALID ENCODING'
group by line
