-- Question: which channel path did each deal closed in the period follow, from
-- its first touch to its close, with consecutive repeats of a channel collapsed
-- (paid_search > content > content > sales reads paid_search > content > sales)?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope;
--   $path_steps (how many channel steps `path` keeps, 0 = the whole journey) and
--   $path_end ('first' keeps the opening steps, 'last' the closing ones).
-- A cut path says so: 'email > sales > …' (first) or '… > email > sales' (last);
-- full_path is always the whole journey. Deals without a touch follow the path
-- '(no touchpoint)'.
with

closed as (
    select deal_id, name, outcome, amount, closed_at
    from filtered_deals($segment, $region, $owner)
    where outcome in ('won', 'lost')
      and closed_at >= $date_from
      and closed_at < cast($date_to as date) + interval 1 day
),

touches as (
    select deal_id, touchpoint_id, occurred_at, channel
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
),

with_previous as (
    select
        *,
        -- journey order: time, then touchpoint_id for ties
        lag(channel) over (partition by deal_id order by occurred_at, touchpoint_id) as previous_channel
    from touches
),

-- a step is a touch whose channel differs from the touch before it
steps as (
    select deal_id, touchpoint_id, occurred_at, channel
    from with_previous
    where previous_channel is null or channel <> previous_channel
),

numbered as (
    select
        *,
        row_number() over (partition by deal_id order by occurred_at, touchpoint_id) as step_from_start,
        row_number() over (partition by deal_id order by occurred_at desc, touchpoint_id desc) as step_from_end,
        count(*) over (partition by deal_id) as steps
    from steps
),

paths as (
    select
        deal_id,
        any_value(steps) as steps,
        string_agg(channel, ' > ' order by occurred_at, touchpoint_id) as full_path,
        string_agg(channel, ' > ' order by occurred_at, touchpoint_id) filter (
            where $path_steps = 0
               or (case when $path_end = 'last' then step_from_end else step_from_start end) <= $path_steps
        ) as kept_path
    from numbered
    group by deal_id
),

touch_counts as (
    select deal_id, count(*) as touches
    from touches
    group by deal_id
),

final as (
    select
        c.deal_id,
        c.name as deal_name,
        c.outcome,
        c.amount as amount_usd,
        cast(c.closed_at as date) as closed_on,
        case
            when p.deal_id is null then '(no touchpoint)'
            when $path_steps = 0 or p.steps <= $path_steps then p.kept_path
            when $path_end = 'last' then '… > ' || p.kept_path
            else p.kept_path || ' > …'
        end as path,
        coalesce(p.full_path, '(no touchpoint)') as full_path,
        coalesce(p.steps, 0) as steps,
        coalesce(t.touches, 0) as touches
    from closed as c
    left join paths as p on p.deal_id = c.deal_id
    left join touch_counts as t on t.deal_id = c.deal_id
)

select * from final
order by closed_on desc, deal_id
