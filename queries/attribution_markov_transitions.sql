-- Question: in the journeys of the period's closed deals, how often does a
-- journey move from one state to the next, and from its last state to a win
-- (conversion) or a loss (null)? A state is the last $order keys (channels,
-- touchpoint types, ...) of the journey so far; repeats and loops are kept.
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team); $order
--   (1 to 4); $date_from, $date_to (inclusive, on closed_at; null =
--   open-ended); $segment, $region, $owner (null = all); $lookback_days, $scope.
-- Columns: from_state ([] = the start), to_state (null when absorbed),
-- absorbed ('conversion', 'null' or null), transitions (count).
-- Closed deals without touches have no journey and are left out.
with

closed as (
    select deal_id, won
    from attribution_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

steps as (
    select
        t.deal_id,
        c.won,
        t.occurred_at,
        t.touchpoint_id,
        attribution_key($by, t.channel, t.touchpoint_type, cp.name, t.campaign_id, t.asset, t.team) as key
    from deal_touches($lookback_days, $scope) as t
    join closed as c on c.deal_id = t.deal_id
    left join campaigns as cp on cp.campaign_id = t.campaign_id
),

-- each step with the keys of up to 4 steps before it as plain columns (lag is
-- cheaper than a list over a moving frame), and how many steps the journey has
-- had so far, capped at $order + 1; the states are built from these after
-- counting, on far fewer rows
lagged as (
    select
        won,
        case when $order >= 4 then lag(key, 4) over journey end as k4,
        case when $order >= 3 then lag(key, 3) over journey end as k3,
        case when $order >= 2 then lag(key, 2) over journey end as k2,
        lag(key, 1) over journey as k1,
        key as k0,
        least(row_number() over journey, $order + 1) as depth,
        row_number() over journey = count(*) over (journey rows between unbounded preceding
            and unbounded following) as is_last
    from steps
    window journey as (partition by deal_id order by occurred_at, touchpoint_id)
),

counted_steps as (
    select k4, k3, k2, k1, k0, depth, is_last, won, count(*) as n
    from lagged
    group by all
),

counted as (
    select
        -- the state before this step: its last min(steps before, $order) keys ([] = start)
        list_value(k4, k3, k2, k1)[5 - least(depth - 1, $order):4] as previous,
        -- the state after it: the last min(steps so far, $order) keys
        list_value(k4, k3, k2, k1, k0)[6 - least(depth, $order):5] as state,
        is_last,
        won,
        n
    from counted_steps
),

final as (
    select previous as from_state, state as to_state, null as absorbed, sum(n) as transitions
    from counted
    group by previous, state
    union all
    select state, null, case when won then 'conversion' else 'null' end, sum(n)
    from counted
    where is_last
    group by state, won
)

select
    from_state,
    to_state,
    cast(absorbed as varchar) as absorbed,
    cast(transitions as bigint) as transitions
from final
order by from_state, to_state nulls last, absorbed
