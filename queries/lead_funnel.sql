-- Question: of the leads created in the period, how many became MQLs, were
-- accepted by sales, turned into an opportunity and were won — by source
-- channel and by lead owner (dimension 'source_channel' or 'owner'), both from
-- one pass?
-- The funnel is nested: each stage counts leads that reached it and every
-- earlier stage. Opportunity = a deal on the lead's account created at or
-- after the lead's creation; won = such a deal was won.
-- Parameters: $date_from, $date_to (dates, inclusive, on the lead's created_at),
--   $segment, $region (of the lead's account), $owner (the lead's owner; null = all).
with

filtered as (
    -- the period's leads with their account (queries/macros.sql)
    select lead_id, owner, source_channel, created_at, mql_at, accepted_at, lead_account_id
    from leads_created($date_from, $date_to, $segment, $region, $owner)
),

opportunities as (
    select
        f.lead_id,
        count(d.deal_id) > 0 as has_opportunity,
        coalesce(bool_or(d.outcome = 'won'), false) as has_win
    from filtered as f
    left join deals as d
        on d.account_id = f.lead_account_id
       and d.created_at >= f.created_at
    group by f.lead_id
),

staged as (
    select
        coalesce(f.source_channel, '(unknown)') as source_key,
        coalesce(f.owner, '(unassigned)') as owner_key,
        f.mql_at is not null as is_mql,
        f.mql_at is not null and f.accepted_at is not null as is_accepted,
        f.mql_at is not null and f.accepted_at is not null and o.has_opportunity as is_opportunity,
        f.mql_at is not null and f.accepted_at is not null and o.has_opportunity and o.has_win as is_won
    from filtered as f
    join opportunities as o on o.lead_id = f.lead_id
),

final as (
    select
        case when grouping(owner_key) = 1 then 'source_channel' else 'owner' end as dimension,
        -- the set's key: the other one is null there
        coalesce(source_key, owner_key) as group_key,
        count(*) as leads,
        count(*) filter (where is_mql) as mqls,
        count(*) filter (where is_accepted) as accepted,
        count(*) filter (where is_opportunity) as opportunities,
        count(*) filter (where is_won) as won,
        count(*) filter (where is_accepted) / nullif(count(*) filter (where is_mql), 0)
            as mql_to_accepted,
        count(*) filter (where is_opportunity) / nullif(count(*) filter (where is_accepted), 0)
            as accepted_to_opportunity,
        count(*) filter (where is_won) / nullif(count(*) filter (where is_opportunity), 0)
            as opportunity_to_won,
        count(*) filter (where is_opportunity) / nullif(count(*) filter (where is_mql), 0)
            as mql_to_opportunity,
        count(*) filter (where is_won) / nullif(count(*) filter (where is_mql), 0) as mql_to_won
    from staged
    group by grouping sets ((source_key), (owner_key))
)

select * from final
order by dimension desc, mqls desc, won desc, group_key
