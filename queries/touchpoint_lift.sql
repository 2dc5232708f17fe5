-- Win-rate lift: did closed deals that a touchpoint type (or channel, campaign,
-- asset) touched win more often than the closed deals it did not touch?
-- One row per key of the dimension, with the counts behind both win rates
-- (wins AND losses), the difference and its 95% interval.
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days   touches count from created_at - lookback_days to closed_at
--   $scope           'account' (every touch of the deal's account) or
--                    'contact_roles' (only touches of the deal's contacts)
--   $dimension       'touchpoint_type', 'channel', 'campaign' (campaign_id) or 'asset'
--
-- Rates and differences are fractions (0.25 = 25%; x 100 for percentage
-- points). The interval is Newcombe's hybrid score interval (method 10: Wilson
-- score intervals of each rate combined), which stays sensible at rates of 0
-- or 1 and at small counts, unlike the Wald interval. small_sample marks keys
-- with fewer than 10 closed deals on either side.

with

deals_in_scope as (
    select deal_id, outcome
    from filtered_deals($segment, $region, $owner)
    where outcome in ('won', 'lost')
      and closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

-- the closed deals' touches, each with its deal's outcome
touches as (
    select t.deal_id, d.outcome = 'won' as won, t.touchpoint_type, t.channel, t.campaign_id, t.asset
    from deal_touches($lookback_days, $scope) as t
    join deals_in_scope as d on d.deal_id = t.deal_id
),

campaigns_named as (
    select campaign_id, name
    from campaigns
),

-- the dimension's column is picked from a fixed list; it cannot be bound
keyed_touches as (
    select distinct
        deal_id,
        won,
        case $dimension
            when 'touchpoint_type' then touchpoint_type
            when 'channel' then channel
            when 'campaign' then campaign_id
            when 'asset' then asset
            else error('unknown dimension ' || $dimension)
        end as key
    from touches
),

totals as (
    select
        count(*) filter (where outcome = 'won') as deals_won,
        count(*) filter (where outcome = 'lost') as deals_lost
    from deals_in_scope
),

touched as (
    select
        key,
        count(*) filter (where won) as deals_touched_won,
        count(*) filter (where not won) as deals_touched_lost
    from keyed_touches
    -- a touch without a campaign or asset is not a campaign or asset touch
    where key is not null
    group by key
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
