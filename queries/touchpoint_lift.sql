-- Win-rate lift: did closed deals that a touchpoint type (or channel, campaign,
-- asset) touched win more often than the closed deals it did not touch?
-- Question answered here: the counts behind both win rates, one row per key of
-- the dimension: the closed deals it touched that were won and lost, and all
-- the period's closed deals won and lost. closedloop/lift.py turns them into
-- win rates, their difference and its 95% interval.
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days   touches count from created_at - lookback_days to closed_at
--   $scope           'account' (every touch of the deal's account) or
--                    'contact_roles' (only touches of the deal's contacts)
--   $dimension       'touchpoint_type', 'channel', 'campaign' (campaign_id) or 'asset'

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
