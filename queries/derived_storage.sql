-- Question: where on disk do the tables the journey tables are built from keep
-- their rows? A digest of DuckDB's storage layout of each (every segment's
-- block, row range, compression, has_updates / persistent flags) and its row
-- count: any insert, update or delete changes it (an update marks its segment
-- until the next checkpoint rewrites it to a new block), and it reads
-- metadata only (milliseconds at 10M touchpoints, against about 1 s for the
-- row digest of queries/derived_fingerprint.sql). closedloop/engine/journey_tables.py seals
-- it into cl_meta after a build is committed and checkpointed.
-- Parameters: none.
with

final as (
    select concat_ws(
        ',',
        (select count(*) from deals),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('deals')),
        (select count(*) from touchpoints),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('touchpoints')),
        (select count(*) from accounts),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('accounts')),
        (select count(*) from contacts),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('contacts')),
        (select count(*) from leads),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('leads')),
        (select count(*) from deal_contacts),
        (select sum(hash(row_group_id, column_name, segment_id, start, count, compression, has_updates,
            persistent, block_id, block_offset)) from pragma_storage_info('deal_contacts'))
    ) as storage
)

select * from final
