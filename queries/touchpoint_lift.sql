-- Win-rate lift: did closed deals that a touchpoint type (or channel, campaign,
-- asset) touched win more often than the closed deals it did not touch?
-- Question answered here: the counts behind both win rates, one row per key of
-- the dimension: the closed deals it touched that were won and lost, and all
-- the period's closed deals won and lost. closedloop/engine/lift.py turns them into
-- win rates, their difference and its 95% interval.
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days   touches count from created_at - lookback_days to closed_at
--   $scope           'account' (every touch of the deal's account) or
--                    'contact_roles' (only touches of the deal's contacts)
--   $dimension       'touchpoint_type', 'channel', 'campaign' (campaign_id) or 'asset'

-- Each deal's keys with codes up to 63 come as one set of bits of its
-- window (journey_sets: one row per deal), counted per distinct set; keys
-- with larger codes (a dimension with more than 63 keys) as distinct
-- (deal, code) pairs of the window's touches (journey_window), which are
-- none while every code fits.

with

keys as (
    select * from lift_keys($dimension)
),

deals_in_scope as (
    select deal_idx, outcome = 'won' as won
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
    -- the period is required here
    where closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

masks as (
    select deal_idx, key_mask
    from journey_sets($dimension, $lookback_days, $scope)
),

coded as (
    select
        j.deal_idx,
        journey_code($dimension, j.channel_code, j.type_code, j.team_code, j.campaign_code, j.asset_code) as code
    from journey_window($lookback_days, $scope) as j
),

sets as (
    select m.key_mask, count(*) filter (where d.won) as won, count(*) filter (where not d.won) as lost
    from masks as m
    join deals_in_scope as d on d.deal_idx = m.deal_idx
    group by m.key_mask
),

touched_by_set as (
    select k.key, sum(s.won) as deals_touched_won, sum(s.lost) as deals_touched_lost
    from keys as k
    join sets as s on k.code <= 63 and (s.key_mask >> (k.code - 1)) & 1 = 1
    group by k.key
),

pairs as (
    select distinct deal_idx, code
    from coded
    where code > 63
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
        cast(t.deals_touched_won as bigint) as deals_touched_won,
        cast(t.deals_touched_lost as bigint) as deals_touched_lost,
        s.deals_won,
        s.deals_lost
    from touched as t
    cross join totals as s
    left join campaigns as c on $dimension = 'campaign' and c.campaign_id = t.key
)

select *
from final
order by key
