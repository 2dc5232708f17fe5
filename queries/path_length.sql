-- Path report, path length. The question: how many touches each closed deal had from its
-- first touch to its close (the touches of its window), as a distribution of
-- won and lost deals per band of touches and per month of close. Every
-- figure is a count or a sum, so rows add up: months to quarters, bands to
-- the total, won + lost to closed deals.
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days, $scope   the touch window (queries/macros.sql, journeys())
--   $touch_edges     ascending touch counts where a band starts after the first
--                    (band 0 is from 1 touch, band i from edge i on)
--
-- band -1: the deal had no touch in its window (0 touches).

with

-- the figures of queries/macros.sql's path_bands(), its measure named
final as (
    select closed_month, band, won_deals, lost_deals, won_amount_usd, won_measure as won_touches, lost_measure as lost_touches
    from path_bands('touches', $touch_edges, $date_from, $date_to, $segment, $region, $owner, $lookback_days, $scope)
)

select * from final
order by closed_month, band
