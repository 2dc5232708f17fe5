-- Statement: a UTF-8 CSV file's rows, every value as text, in the file's order (into_temp names the
-- staged table). Lines DuckDB's reader rejects go to the temp tables $rejects and $scan; at most
-- $limit rows ($limit null: every row, and no slower: 3M rows read in 6-8 s either way).
-- Parameters: $path, $delim, $columns, $rejects, $scan, $limit.
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
limit $limit
