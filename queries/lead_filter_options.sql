-- Question: which owners do leads have, and what dates do the leads' creations
-- span? Feeds the filter bar of the handoff page, where the period is "leads
-- created in" and the owner is the lead's owner. One row per (filter, value);
-- 'created_min' / 'created_max' rows hold ISO dates.
-- Parameters: none.
with

owners as (
    select distinct 'owner' as filter, owner as value from leads where owner is not null
),

created_range as (
    select 'created_min' as filter, cast(cast(min(created_at) as date) as varchar) as value from leads
    union all
    select 'created_max', cast(cast(max(created_at) as date) as varchar) from leads
),

final as (
    select * from owners
    union all select * from created_range where value is not null
)

select * from final
order by filter, value
