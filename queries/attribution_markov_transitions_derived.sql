-- Question: the same as attribution_markov_transitions.sql (transition counts
-- of the period's closed journeys), answered from the derived tables for the
-- default matching, with states as integers: a state packs the codes
-- (cl_key) of its last $order keys, the latest lowest (8 bits a key by
-- channel, 16 otherwise); 0 is
-- the start. closedloop.attribution.api turns them back into lists of keys.
-- By channel the states come straight from cl_touch.channel_history (8 bits a
-- step, no window); other keys are packed with lag() over the integer codes.
-- Parameters: $by, $order, $date_from,
--   $date_to, $segment, $region, $owner (as attribution_markov_transitions.sql).
-- Columns: from_state, to_state (null when absorbed), absorbed
-- ('conversion', 'null' or null), transitions.
with

closed as (
    select deal_idx, outcome = 'won' as won
    from derived_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

channel_steps as (
    select
        c.won,
        t.rn = t.n as is_last,
        cast(t.channel_history & ((cast(1 as bigint) << (8 * $order)) - 1) as ubigint) as state,
        cast((t.channel_history >> 8) & ((cast(1 as bigint) << (8 * $order)) - 1) as ubigint) as previous
    from cl_touch as t
    join closed as c on c.deal_idx = t.deal_idx
    where $by = 'channel'
),

coded as (
    select
        t.deal_idx,
        t.rn,
        t.n,
        c.won,
        cast(
            case $by
                when 'touchpoint_type' then t.type_code
                when 'team' then t.team_code
                when 'campaign' then t.campaign_code
                when 'asset' then t.asset_code
                else error('by must be one of channel, touchpoint_type, campaign, asset, team')
            end as ubigint
        ) as code
    from cl_touch as t
    join closed as c on c.deal_idx = t.deal_idx
    where $by <> 'channel'
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

final as (
    select previous as from_state, state as to_state, null as absorbed, count(*) as transitions
    from steps
    group by previous, state
    union all
    select state, null, case when won then 'conversion' else 'null' end, count(*)
    from steps
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
