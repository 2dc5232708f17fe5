-- Statement: the first $limit problems of an import run, errors first, in file and row order,
-- from the run's staged problems table (named by $problems).
-- Parameters: $problems, $limit.
select severity, file, row, column_name, value, problem, fix, target_table
from query_table($problems)
order by severity = 'warning', file_index, row, source, column_name
limit $limit
