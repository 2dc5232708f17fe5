-- Question: the same as touchpoint_lift.sql (win-rate lift per key), answered
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
    from cl_deal
    where outcome in ('won', 'lost')
      and closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
      and ($segment is null or segment = $segment)
      and ($region is null or region = $region)
      and ($owner is null or owner = $owner)
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

campaigns_named as (
    select campaign_id, name
    from campaigns
),

totals as (
    select
        count(*) filter (where won) as deals_won,
        count(*) filter (where not won) as deals_lost
    from deals_in_scope
),

counts as (
    select
        t.key,
        t.deals_touched_won,
        t.deals_touched_lost,
        t.deals_touched_won + t.deals_touched_lost as deals_touched,
        s.deals_won - t.deals_touched_won as deals_not_touched_won,
        s.deals_lost - t.deals_touched_lost as deals_not_touched_lost,
        s.deals_won + s.deals_lost - t.deals_touched_won - t.deals_touched_lost as deals_not_touched
    from touched as t
    cross join totals as s
),

rates as (
    select
        *,
        1.959963984540054 as z,
        deals_touched_won / nullif(deals_touched, 0) as p1,
        deals_not_touched_won / nullif(deals_not_touched, 0) as p2
    from counts
),

-- Wilson score bounds of each rate: (x + z²/2 ± z·sqrt(x(n-x)/n + z²/4)) / (n + z²)
wilson as (
    select
        *,
        (deals_touched_won + z * z / 2
            - z * sqrt(deals_touched_won * deals_touched_lost / nullif(deals_touched, 0) + z * z / 4))
            / (deals_touched + z * z) as l1,
        (deals_touched_won + z * z / 2
            + z * sqrt(deals_touched_won * deals_touched_lost / nullif(deals_touched, 0) + z * z / 4))
            / (deals_touched + z * z) as u1,
        (deals_not_touched_won + z * z / 2
            - z * sqrt(deals_not_touched_won * deals_not_touched_lost / nullif(deals_not_touched, 0) + z * z / 4))
            / (deals_not_touched + z * z) as l2,
        (deals_not_touched_won + z * z / 2
            + z * sqrt(deals_not_touched_won * deals_not_touched_lost / nullif(deals_not_touched, 0) + z * z / 4))
            / (deals_not_touched + z * z) as u2
    from rates
),

final as (
    select
        w.key,
        coalesce(c.name, w.key) as label,
        w.deals_touched,
        w.deals_touched_won,
        w.deals_touched_lost,
        w.deals_not_touched,
        w.deals_not_touched_won,
        w.deals_not_touched_lost,
        w.p1 as win_rate_touched,
        w.p2 as win_rate_not_touched,
        w.p1 - w.p2 as win_rate_diff,
        w.p1 - w.p2 - sqrt(pow(w.p1 - w.l1, 2) + pow(w.u2 - w.p2, 2)) as win_rate_diff_low95,
        w.p1 - w.p2 + sqrt(pow(w.u1 - w.p1, 2) + pow(w.p2 - w.l2, 2)) as win_rate_diff_high95,
        w.deals_touched < 10 or w.deals_not_touched < 10 as small_sample
    from wilson as w
    left join campaigns_named as c on $dimension = 'campaign' and c.campaign_id = w.key
)

select *
from final
order by win_rate_diff desc nulls last, key
