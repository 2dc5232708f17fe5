-- Win-rate lift adjusted for the account. The question: how many of the period's closed
-- deals fall in each stratum of account segment, region and deal-size band,
-- won and lost (the "not touched" side of every key's stratified tables is
-- this minus queries/lift_strata.sql's touched counts).
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $band_edges      ascending deal amounts (USD) where a size band starts;
--                    band 0 is below the first edge, band i from edge i on
--
-- A deal without a segment or region is in the stratum '(none)' of it.

with

closed as (
    select
        outcome = 'won' as won,
        coalesce(segment, '(none)') as segment,
        coalesce(region, '(none)') as region,
        cast(len(list_filter(cast($band_edges as double[]), lambda e: e <= amount_usd)) as integer) as size_band
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
    where closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

final as (
    select
        segment,
        region,
        size_band,
        count(*) filter (where won) as stratum_won,
        count(*) filter (where not won) as stratum_lost
    from closed
    group by all
)

select *
from final
order by segment, region, size_band
