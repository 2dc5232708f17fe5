-- Question: which deals closed in the period, and how many touches from each
-- team preceded each of them?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope.
with

closed as (
    select deal_id, name, account_name, owner, outcome, amount, closed_at, days_to_close, dates_unknown
    from filtered_closed_deals($date_from, $date_to, $segment, $region, $owner)
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
