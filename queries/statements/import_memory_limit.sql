-- Statement: cap the memory of a connection the import opened itself.
-- Parameters: $limit.
set memory_limit = $limit
