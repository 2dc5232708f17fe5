-- Question: which channel path did each deal closed in the period follow, from
-- its first touch to its close, with consecutive repeats of a channel collapsed
-- (paid_search > content > content > sales reads paid_search > content > sales),
-- and how long was its journey: touches per team, days from first touch to close?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope;
--   $path_steps (how many channel steps `path` keeps, 0 = the whole journey) and
--   $path_end ('first' keeps the opening steps, 'last' the closing ones).
-- A cut path says so: 'email > sales > …' (first) or '… > email > sales' (last);
-- full_path is always the whole journey. Deals without a touch follow the path
-- '(no touchpoint)', have 0 touches and no days from first touch. Days are
-- calendar days (date_diff('day', ...)), like days_to_close; both are null for a deal imported
-- without dates.
with

closed as (
    select
        deal_id,
        name as deal_name,
        outcome,
        amount as amount_usd,
        cast(closed_at as date) as closed_on,
        closed_at,
        days_to_close,
        dates_unknown
    from filtered_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

-- one pass over the period's touches: every figure of a deal's journey
journeys as (
    select
        deal_id,
        count(*) as touches,
        count(*) filter (where team = 'marketing') as marketing_touches,
        count(*) filter (where team = 'sales') as sales_touches,
        min(occurred_at) as first_touch_at,
        -- journey order: time, then touchpoint_id for ties
        list(channel order by occurred_at, touchpoint_id) as channels
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
    group by deal_id
),

-- a step is a touch whose channel differs from the touch before it
paths as (
    select
        *,
        list_filter(channels, lambda channel, i: i = 1 or channel <> channels[i - 1]) as step_channels
    from journeys
),

final as (
    select
        c.deal_id,
        c.deal_name,
        c.outcome,
        c.amount_usd,
        c.closed_on,
        case
            when p.deal_id is null then '(no touchpoint)'
            when $path_steps = 0 or array_length(p.step_channels) <= $path_steps
                then array_to_string(p.step_channels, ' > ')
            when $path_end = 'last' then '… > ' || array_to_string(p.step_channels[-$path_steps:], ' > ')
            else array_to_string(p.step_channels[:$path_steps], ' > ') || ' > …'
        end as path,
        coalesce(array_to_string(p.step_channels, ' > '), '(no touchpoint)') as full_path,
        coalesce(array_length(p.step_channels), 0) as steps,
        coalesce(p.touches, 0) as touches,
        coalesce(p.marketing_touches, 0) as marketing_touches,
        coalesce(p.sales_touches, 0) as sales_touches,
        p.first_touch_at,
        -- unknown for a deal imported without dates (docs/import.md, as_of)
        case when not c.dates_unknown
            then date_diff('day', p.first_touch_at, c.closed_at) end as days_first_touch_to_close,
        c.days_to_close
    from closed as c
    left join paths as p on p.deal_id = c.deal_id
)

select * from final
order by closed_on desc, deal_id
