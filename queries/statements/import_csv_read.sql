-- Statement: a UTF-8 CSV file's rows, every value as text, in the file's order (into_temp names the
-- staged table). Lines DuckDB's reader rejects go to the temp tables $rejects and $scan. A preview
-- adds a limit (closedloop.importer.staged_sql.into_temp_statement's row_limit) only when it
-- reads a few rows: with any LIMIT DuckDB reads on one thread (a 10.5M-row file: 5.1 s against
-- 3.6 s on 2 cores).
-- Parameters: $path, $delim, $columns, $rejects, $scan.
select *
from read_csv(
    $path,
    delim = $delim,
    quote = '"',
    escape = '"',
    header = true,
    auto_detect = false,
    columns = $columns,
    encoding = 'utf-8',
    store_rejects = true,
    rejects_table = $rejects,
    rejects_scan = $scan,
    max_line_size = 8388608,
    parallel = true
)
