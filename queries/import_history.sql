-- Question: which imports have run on this database, newest first, and what did
-- each one read, write, reject and skip (and why it skipped rows)?
-- Parameters: $limit (how many imports to list).
with

imports as (
    select * from import_log
),

final as (
    select
        import_id,
        imported_at,
        mapping,
        files,
        rows_read,
        rows_inserted,
        rows_updated,
        rows_rejected,
        rows_skipped,
        skipped_why
    from imports
)

select * from final
order by imported_at desc, import_id desc
limit $limit
