-- Statement: let the block allocator of a database the import opened itself keep the pages it has
-- touched, up to $limit (the import's memory budget), instead of returning them to the system after
-- each task and faulting them in again. Freed when the import closes the database.
-- Parameters: $limit.
set block_allocator_memory = $limit
