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
    select won, segment, region, size_band
    from stratified_closed_deals($date_from, $date_to, $segment, $region, $owner, $band_edges)
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
