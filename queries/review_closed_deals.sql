-- Question: which deals closed in the period, and how many touches from each
-- team preceded each of them?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope.
with

closed as (
    select *
    from filtered_deals($segment, $region, $owner)
    where outcome in ('won', 'lost')
      and closed_at >= $date_from
      and closed_at < cast($date_to as date) + interval 1 day
),

touch_counts as (
    select
        deal_id,
        count(*) filter (where team = 'marketing') as marketing_touches,
        count(*) filter (where team = 'sales') as sales_touches
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
    group by deal_id
),

final as (
    select
        c.deal_id,
        c.name as deal_name,
        c.account_name,
        c.owner,
        c.outcome,
        c.amount as amount_usd,
        cast(c.closed_at as date) as closed_on,
        c.days_to_close,
        c.dates_unknown,
        coalesce(t.marketing_touches, 0) as marketing_touches,
        coalesce(t.sales_touches, 0) as sales_touches
    from closed as c
    left join touch_counts as t on t.deal_id = c.deal_id
)

select * from final
order by closed_on desc, amount_usd desc, deal_id
