-- Question: which channel path did each deal closed in the period follow, from
-- its first touch to its close, with consecutive repeats of a channel collapsed
-- (paid_search > content > content > sales reads paid_search > content > sales),
-- and how long was its journey: touches per team, days from first touch to close?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope;
--   $path_steps (how many channel steps `path` keeps, 0 = the whole journey) and
--   $path_end ('first' keeps the opening steps, 'last' the closing ones);
--   $day_edges, $touch_edges (the time-lag and path-length reports' band edges:
--   days_band and touches_band, as path_time_lag.sql and path_length.sql band them).
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

-- one pass over the period's touches: the counts and the first touch's time of a deal's journey
journeys as (
    select
        deal_id,
        count(*) as touches,
        count(*) filter (where team = 'marketing') as marketing_touches,
        count(*) filter (where team = 'sales') as sales_touches,
        min(occurred_at) as first_touch_at
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
    group by deal_id
),

closed_idx as (
    select deal_idx, deal_id
    from cl_deal
    where deal_id in (select deal_id from closed)
),

-- a step is a touch whose channel differs from the touch before it; the channels in journey order
-- come from the journey tables (queries/macros.sql): an ordered aggregate of the source touches'
-- channels took most of this query's time
paths as (
    select
        d.deal_id,
        list_filter(l.channels, lambda channel, i: i = 1 or channel <> l.channels[i - 1]) as step_channels
    from journey_channel_lists((select list(deal_idx) from closed_idx), $lookback_days, $scope) as l
    join closed_idx as d on d.deal_idx = l.deal_idx
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
        coalesce(t.touches, 0) as touches,
        coalesce(t.marketing_touches, 0) as marketing_touches,
        coalesce(t.sales_touches, 0) as sales_touches,
        t.first_touch_at,
        -- unknown for a deal imported without dates (docs/import.md, as_of)
        case when not c.dates_unknown
            then date_diff('day', t.first_touch_at, c.closed_at) end as days_first_touch_to_close,
        c.days_to_close,
        -- the deal's bands in the time-lag and path-length reports (path_band(): the rule of
        -- path_bands(), so the page counts the reports from these rows)
        path_band(date_diff('day', t.first_touch_at, c.closed_at), $day_edges, t.deal_id is null, c.dates_unknown)
            as days_band,
        path_band(t.touches, $touch_edges, t.deal_id is null, false) as touches_band
    from closed as c
    left join journeys as t on t.deal_id = c.deal_id
    left join paths as p on p.deal_id = c.deal_id
)

select * from final
order by closed_on desc, deal_id
