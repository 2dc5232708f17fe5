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

-- every key of the dimension with a small integer id in key order, so that
-- sets of ids sort and group like sets of keys (integers are far cheaper to
-- group than strings); keys no closed deal has are harmless
key_ids as (
    select key, cast(row_number() over (order by key) as integer) as id
    from (
        select distinct
            attribution_key($by, t.channel, t.touchpoint_type, cp.name, t.campaign_id, t.asset, t.team) as key
        from touchpoints as t
        left join campaigns as cp on cp.campaign_id = t.campaign_id
    )
    where key is not null
),

key_names as (
    select list(key order by id) as names
    from key_ids
),

touch_ids as (
    select
        t.deal_id,
        k.id
    from deal_touches($lookback_days, $scope) as t
    join closed as c on c.deal_id = t.deal_id
    left join campaigns as cp on cp.campaign_id = t.campaign_id
    left join key_ids as k
        on k.key = attribution_key($by, t.channel, t.touchpoint_type, cp.name, t.campaign_id, t.asset, t.team)
),

deal_ids as (
    select deal_id, list_sort(list_distinct(list(id) filter (where id is not null))) as ids
    from touch_ids
    group by deal_id
),

set_counts as (
    select
        coalesce(i.ids, []) as ids,
        count(*) filter (where c.won) as wins,
        count(*) filter (where not c.won) as losses,
        coalesce(sum(c.amount) filter (where c.won), 0) as won_revenue_usd
    from closed as c
    left join deal_ids as i on i.deal_id = c.deal_id
    group by all
),

deal_sets as (
    select
        -- back from ids to the keys, in key order
        list_transform(s.ids, lambda i: n.names[i]) as channels,
        s.wins,
        s.losses,
        s.won_revenue_usd
    from set_counts as s
    cross join key_names as n
),

final as (
    select channels, wins, losses, won_revenue_usd
    from deal_sets
)

select
    channels,
    cast(wins as bigint) as wins,
    cast(losses as bigint) as losses,
    cast(won_revenue_usd as double) as won_revenue_usd
from final
order by len(channels), channels
