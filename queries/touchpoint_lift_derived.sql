-- Question: the same as touchpoint_lift.sql (the counts behind each key's win-rate lift), answered
-- from the derived tables (queries/derived_build.sql) for the default
-- matching; closedloop.lift picks this file only when they match, and tests
-- hold both files equal. Touchpoint types, channels and campaigns come from
-- each deal's stored bit set (for types and channels the source-table query
-- runs when the codes don't fit 63 bits; campaigns then come from pairs);
-- assets from the distinct (deal, code) pairs of cl_touch.
-- Parameters: those of touchpoint_lift.sql except $lookback_days and $scope.

with

deals_in_scope as (
    select deal_idx, outcome = 'won' as won, channel_mask, type_mask, campaign_mask
    from derived_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

-- the dimension's codes; a touch without a campaign or asset is not a
-- campaign or asset touch
keys as (
    select code, raw as key
    from cl_key
    where dimension = $dimension
      and raw is not null
),

-- closed deals per distinct bit set (thousands), then each key's bit tested
sets as (
    select key_mask, count(*) filter (where won) as won, count(*) filter (where not won) as lost
    from (
        select
            won,
            case $dimension
                when 'channel' then channel_mask
                when 'touchpoint_type' then type_mask
                when 'campaign' then campaign_mask
            end as key_mask
        from deals_in_scope
    )
    where key_mask is not null
    group by key_mask
),

touched_by_set as (
    select
        k.key,
        cast(sum(s.won) as bigint) as deals_touched_won,
        cast(sum(s.lost) as bigint) as deals_touched_lost
    from keys as k
    join sets as s on (s.key_mask >> (k.code - 1)) & 1 = 1
    group by k.key
),

pairs as (
    select distinct
        t.deal_idx,
        case $dimension
            when 'campaign' then t.campaign_code
            when 'asset' then t.asset_code
        end as code
    from cl_touch as t
    join deals_in_scope as d on d.deal_idx = t.deal_idx
    -- campaigns only when there are too many for a bit set
    where $dimension = 'asset' or ($dimension = 'campaign' and d.campaign_mask is null)
),

touched_by_pair as (
    select
        k.key,
        count(*) filter (where d.won) as deals_touched_won,
        count(*) filter (where not d.won) as deals_touched_lost
    from pairs as p
    join keys as k on k.code = p.code
    join deals_in_scope as d on d.deal_idx = p.deal_idx
    group by k.key
),

touched as (
    select * from touched_by_set
    union all
    select * from touched_by_pair
),

totals as (
    select
        count(*) filter (where won) as deals_won,
        count(*) filter (where not won) as deals_lost
    from deals_in_scope
),

final as (
    select
        t.key,
        coalesce(c.name, t.key) as label,
        t.deals_touched_won,
        t.deals_touched_lost,
        s.deals_won,
        s.deals_lost
    from touched as t
    cross join totals as s
    left join campaigns as c on $dimension = 'campaign' and c.campaign_id = t.key
)

select *
from final
order by key
