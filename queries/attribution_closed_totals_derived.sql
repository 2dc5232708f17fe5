-- Question: the same as attribution_closed_totals.sql (the period's closed
-- deals, wins and won revenue, touched and untouched), answered from the
-- derived tables for the default matching.
-- Parameters: $date_from, $date_to, $segment, $region, $owner.
with

closed as (
    select touches > 0 as touched, outcome = 'won' as won, amount_usd
    from derived_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

final as (
    select
        touched,
        count(*) as deals,
        count(*) filter (where won) as wins,
        coalesce(sum(amount_usd) filter (where won), 0) as won_revenue_usd
    from closed
    group by touched
)

select
    touched,
    cast(deals as bigint) as deals,
    cast(wins as bigint) as wins,
    cast(won_revenue_usd as double) as won_revenue_usd
from final
order by touched desc
