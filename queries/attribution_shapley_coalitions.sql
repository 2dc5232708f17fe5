-- Question: for each set of keys (channels, touchpoint types, ...) that the
-- period's closed deals were touched by, how many of those deals were won and
-- lost, and how much revenue did the wins bring? (The coalitions of the
-- Shapley model; the empty set holds the closed deals without touches.)
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team);
--   $date_from, $date_to (inclusive, on closed_at; null = open-ended);
--   $segment, $region, $owner (null = all); $lookback_days, $scope.
with

closed as (
    select deal_id, won, amount
    from attribution_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

keys as (
    select distinct
        t.deal_id,
        attribution_key($by, t.channel, t.touchpoint_type, cp.name, t.campaign_id, t.asset, t.team) as key
    from deal_touches($lookback_days, $scope) as t
    join closed as c on c.deal_id = t.deal_id
    left join campaigns as cp on cp.campaign_id = t.campaign_id
),

deal_sets as (
    select
        c.deal_id,
        c.won,
        c.amount,
        -- sorted, so equal sets compare equal
        coalesce(list_sort(list(k.key) filter (where k.key is not null)), []) as channels
    from closed as c
    left join keys as k on k.deal_id = c.deal_id
    group by c.deal_id, c.won, c.amount
),

final as (
    select
        channels,
        count(*) filter (where won) as wins,
        count(*) filter (where not won) as losses,
        coalesce(sum(amount) filter (where won), 0) as won_revenue_usd
    from deal_sets
    group by channels
)

select
    channels,
    cast(wins as bigint) as wins,
    cast(losses as bigint) as losses,
    cast(won_revenue_usd as double) as won_revenue_usd
from final
order by len(channels), channels
