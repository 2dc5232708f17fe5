-- Question: the same as attribution_closed_totals.sql (the period's closed
-- deals, wins and won revenue, touched and untouched), answered from the
-- derived tables for the default matching.
-- Parameters: $date_from, $date_to, $segment, $region, $owner.
with

closed as (
    select touches > 0 as touched, outcome = 'won' as won, amount_usd
    from cl_deal
    where outcome in ('won', 'lost')
      and (cast($date_from as date) is null or closed_at >= cast($date_from as date))
      and (cast($date_to as date) is null or closed_at < cast($date_to as date) + interval 1 day)
      and ($segment is null or segment = $segment)
      and ($region is null or region = $region)
      and ($owner is null or owner = $owner)
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
