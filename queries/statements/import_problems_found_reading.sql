-- Statement: problems found while reading the files (a registered chunk named by $chunk), as
-- rows of the run's problems table.
-- Parameters: $chunk.
select file_index, source, owner, severity, file, row, "column", value, problem, fix, "table"
from query_table($chunk)
