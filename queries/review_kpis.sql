-- Question: how did the period's closed deals go, and how many of the wins did
-- each team touch?
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope.
with

closed as (
    select deal_id, outcome, amount, days_to_close, dates_unknown
    from filtered_deals($segment, $region, $owner)
    where outcome in ('won', 'lost')
      and closed_at >= $date_from
      -- the period is inclusive of its last day
      and closed_at < cast($date_to as date) + interval 1 day
),

touches as (
    select deal_id, team
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope)
),

teams_per_deal as (
    select
        deal_id,
        bool_or(team = 'marketing') as marketing_touched,
        bool_or(team = 'sales') as sales_touched
    from touches
    group by deal_id
),

final as (
    select
        count(*) filter (where c.outcome = 'won') as deals_won,
        count(*) filter (where c.outcome = 'lost') as deals_lost,
        count(*) filter (where c.outcome = 'won') / nullif(count(*), 0) as win_rate,
        coalesce(sum(c.amount) filter (where c.outcome = 'won'), 0) as revenue_won_usd,
        median(c.days_to_close) filter (where c.outcome = 'won') as median_days_to_close,
        -- won deals imported without dates: no days to close (docs/import.md, as_of)
        count(*) filter (where c.outcome = 'won' and c.dates_unknown) as won_dates_unknown,
        count(*) filter (where c.outcome = 'won' and t.marketing_touched)
            / nullif(count(*) filter (where c.outcome = 'won'), 0) as share_won_marketing_touched,
        count(*) filter (where c.outcome = 'won' and t.sales_touched)
            / nullif(count(*) filter (where c.outcome = 'won'), 0) as share_won_sales_touched
    from closed as c
    left join teams_per_deal as t on t.deal_id = c.deal_id
)

select * from final
