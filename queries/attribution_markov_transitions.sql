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
-- States are counted as integers packing the codes (cl_key) of their last
-- $order keys, the latest lowest, and named after counting, on the few
-- distinct states. By channel (while codes fit 8 bits) they come straight
-- from cl_touch.channel_history, masked to the touches inside the window (no
-- sort); other keys are packed 16 bits a key with lag() over the window.
with

key_names as (
    select list_sort(list(struct_pack(code := code, key := key))) as names, max(code) as top
    from journey_keys($by)
),

packing as (
    select
        $by = 'channel' and coalesce(top, 0) < 256 as from_history,
        case when $by = 'channel' and coalesce(top, 0) < 256 then 8 else 16 end as bits
    from key_names
),

closed as (
    select deal_idx, outcome = 'won' as won
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

touches as (
    select j.*, c.won
    from journeys($lookback_days, $scope, null) as j
    join closed as c on c.deal_idx = j.deal_idx
),

-- the state after a touch holds the last min(rn, $order) channels of the
-- window, the state before it the last min(rn - 1, $order)
channel_steps as (
    select
        won,
        rn = n as is_last,
        cast(channel_history & ((cast(1 as bigint) << (8 * least($order, rn))) - 1) as ubigint) as state,
        cast((channel_history >> 8) & ((cast(1 as bigint) << (8 * least($order, rn - 1))) - 1) as ubigint)
            as previous
    from touches
    where (select from_history from packing)
),

coded as (
    select
        deal_idx,
        rn,
        n,
        won,
        cast(journey_code($by, channel_code, type_code, team_code, campaign_code, asset_code) as ubigint) as code
    from touches
    where not (select from_history from packing)
),

lagged_steps as (
    select
        won,
        rn = n as is_last,
        code
            | (case when $order >= 2 then coalesce(lag(code, 1) over journey, 0) else 0 end << 16)
            | (case when $order >= 3 then coalesce(lag(code, 2) over journey, 0) else 0 end << 32)
            | (case when $order >= 4 then coalesce(lag(code, 3) over journey, 0) else 0 end << 48)
            as state,
        coalesce(lag(code, 1) over journey, 0)
            | (case when $order >= 2 then coalesce(lag(code, 2) over journey, 0) else 0 end << 16)
            | (case when $order >= 3 then coalesce(lag(code, 3) over journey, 0) else 0 end << 32)
            | (case when $order >= 4 then coalesce(lag(code, 4) over journey, 0) else 0 end << 48)
            as previous
    from coded
    window journey as (partition by deal_idx order by rn)
),

steps as (
    select * from channel_steps
    union all
    select * from lagged_steps
),

counted as (
    select previous as from_state, state as to_state, null as absorbed, count(*) as transitions
    from steps
    group by previous, state
    union all
    select state, null, case when won then 'conversion' else 'null' end, count(*)
    from steps
    where is_last
    group by state, won
),

-- a packed state -> its keys, oldest first (code 0 = no step)
named as (
    select
        list_transform(
            list_filter(
                list_transform(range($order - 1, -1, -1), lambda j: (c.from_state >> (p.bits * j)) & ((cast(1 as ubigint) << p.bits) - 1)),
                lambda x: x > 0
            ),
            lambda x: k.names[cast(x as bigint)].key
        ) as from_state,
        case when c.to_state is not null then list_transform(
            list_filter(
                list_transform(range($order - 1, -1, -1), lambda j: (c.to_state >> (p.bits * j)) & ((cast(1 as ubigint) << p.bits) - 1)),
                lambda x: x > 0
            ),
            lambda x: k.names[cast(x as bigint)].key
        ) end as to_state,
        c.absorbed,
        c.transitions
    from counted as c
    cross join packing as p
    cross join key_names as k
),

-- campaigns sharing a name are one key
final as (
    select from_state, to_state, absorbed, sum(transitions) as transitions
    from named
    group by all
)

select
    from_state,
    to_state,
    cast(absorbed as varchar) as absorbed,
    cast(transitions as bigint) as transitions
from final
order by from_state, to_state nulls last, absorbed
