-- Path report, time lag. The question: how many days passed from each closed deal's first
-- touch to its close, as a distribution of won and lost deals per band of
-- days and per month of close. Every figure is a count or a sum, so rows add
-- up: months to quarters, bands to the total, won + lost to closed deals.
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days, $scope   the touch window (queries/macros.sql, journeys())
--   $day_edges       ascending whole days where a band starts after the first
--                    (band 0 is from 0 days, band i from edge i on)
--
-- Days are calendar days, date_diff('day', first touch, close), like the
-- Journeys page. band -1: the deal had no touch in its window; band -2: the
-- deal was imported without dates, so its days are unknown.

with

-- the figures of queries/macros.sql's path_bands(), its measure named
final as (
    select closed_month, band, won_deals, lost_deals, won_amount_usd, won_measure as won_days, lost_measure as lost_days
    from path_bands('days', $day_edges, $date_from, $date_to, $segment, $region, $owner, $lookback_days, $scope)
)

select * from final
order by closed_month, band
