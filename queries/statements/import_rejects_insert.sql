-- Statement: keep every rejected row's problems of an import in import_rejects, from the run's
-- staged problems table (named by $problems, read with query_table: no name is formatted in).
-- Parameters: $import_id, $problems.
insert into import_rejects (import_id, file, row_number, target_table, column_name, value, problem, fix)
select $import_id, file, row, target_table, column_name, value, problem, fix
from query_table($problems)
where severity = 'error' and row is not null
order by file_index, row, source
