-- Statement: record one import in import_log; returns its import_id.
-- Parameters: $files, $mapping, $read, $inserted, $updated, $rejected, $skipped, $skipped_why.
insert into import_log (
    files, mapping, rows_read, rows_inserted, rows_updated, rows_rejected, rows_skipped, skipped_why
)
values ($files, $mapping, $read, $inserted, $updated, $rejected, $skipped, $skipped_why)
returning import_id
