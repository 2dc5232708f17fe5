-- Question: how many rows does each table of the data model hold?
-- Parameters: none.
with

counts as (
    select 1 as position, 'accounts' as table_name, count(*) as row_count from accounts
    union all select 2, 'contacts', count(*) from contacts
    union all select 3, 'leads', count(*) from leads
    union all select 4, 'campaigns', count(*) from campaigns
    union all select 5, 'touchpoints', count(*) from touchpoints
    union all select 6, 'deals', count(*) from deals
    union all select 7, 'deal_contacts', count(*) from deal_contacts
    union all select 8, 'deal_stage_history', count(*) from deal_stage_history
    union all select 9, 'retro_notes', count(*) from retro_notes
    union all select 10, 'import_log', count(*) from import_log
    union all select 11, 'import_rejects', count(*) from import_rejects
),

final as (
    select table_name, row_count
    from counts
    order by position
)

select * from final;
