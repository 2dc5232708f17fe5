-- Question: how many of the period's closed deals were won, and how much
-- revenue did the wins bring, among the deals with at least one touch in their
-- window and among those without any? (The totals that the Markov model shares
-- out by removal effect, without building every deal's set of keys.)
-- Parameters: $date_from, $date_to (inclusive, on closed_at; null =
--   open-ended); $segment, $region, $owner (null = all); $lookback_days, $scope.
-- Columns: touched (true / false; a side without closed deals has no row),
-- deals, wins, won_revenue_usd.
with

closed as (
    select deal_idx, outcome = 'won' as won, amount_usd
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

touched as (
    select deal_idx
    from journey_touched($lookback_days, $scope)
),

final as (
    select
        t.deal_idx is not null as touched,
        cast(count(*) as bigint) as deals,
        cast(count(*) filter (where c.won) as bigint) as wins,
        cast(coalesce(sum(c.amount_usd) filter (where c.won), 0) as double) as won_revenue_usd
    from closed as c
    left join touched as t on t.deal_idx = c.deal_idx
    group by all
)

select * from final
order by touched desc
