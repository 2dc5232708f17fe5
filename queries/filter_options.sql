-- Question: which values can the common filters take, and what dates do the
-- deals span? One row per (filter, value); 'closed_range' rows hold ISO dates.
-- Parameters: none.
with

segments as (
    select distinct 'segment' as filter, segment as value from accounts where segment is not null
),

regions as (
    select distinct 'region' as filter, region as value from accounts where region is not null
),

owners as (
    select distinct 'owner' as filter, owner as value from deals where owner is not null
),

closed_range as (
    select 'closed_min' as filter, cast(cast(min(closed_at) as date) as varchar) as value
    from deals where closed_at is not null
    union all
    select 'closed_max', cast(cast(max(closed_at) as date) as varchar)
    from deals where closed_at is not null
),

final as (
    select * from segments
    union all select * from regions
    union all select * from owners
    union all select * from closed_range where value is not null
)

select * from final
order by filter, value
