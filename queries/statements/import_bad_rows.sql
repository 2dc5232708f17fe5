-- Statement: the rows an import run rejects (an error on the row), from its problems table
-- (named by $problems), one per file, row and owner (-1: the whole row; a companion's index: its rows).
-- Parameters: $problems.
select distinct file_index, row, owner
from query_table($problems)
where severity = 'error' and row is not null
