-- Question: for each deal closed in the period, how many touches preceded the
-- close (per team) and how many days passed from its first touch to its close?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope.
-- Days are calendar days (date_diff('day', ...)), like days_to_close; deals
-- without a touch have 0 touches and no days from first touch.
with

closed as (
    select deal_id, name, outcome, closed_at, days_to_close
    from filtered_deals($segment, $region, $owner)
    where outcome in ('won', 'lost')
      and closed_at >= $date_from
      and closed_at < cast($date_to as date) + interval 1 day
),

touch_summary as (
    select
        deal_id,
        count(*) as touches,
        count(*) filter (where team = 'marketing') as marketing_touches,
        count(*) filter (where team = 'sales') as sales_touches,
        min(occurred_at) as first_touch_at
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
    group by deal_id
),

final as (
    select
        c.deal_id,
        c.name as deal_name,
        c.outcome,
        coalesce(t.touches, 0) as touches,
        coalesce(t.marketing_touches, 0) as marketing_touches,
        coalesce(t.sales_touches, 0) as sales_touches,
        t.first_touch_at,
        date_diff('day', t.first_touch_at, c.closed_at) as days_first_touch_to_close,
        c.days_to_close
    from closed as c
    left join touch_summary as t on t.deal_id = c.deal_id
)

select * from final
order by outcome desc, deal_id
