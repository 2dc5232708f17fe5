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

closed as (
    select deal_idx, outcome = 'won' as won, amount_usd, closed_at
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
    where closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

lengths as (
    -- n: the deal's touches in the window, on every one of its rows; rn = 1 is one row a deal
    select deal_idx, n as touches
    from journeys($lookback_days, $scope, null)
    where rn = 1
      and deal_idx in (select deal_idx from closed)
),

banded as (
    select
        c.won,
        c.amount_usd,
        date_trunc('month', c.closed_at) as closed_month,
        coalesce(l.touches, 0) as touches,
        case
            when l.deal_idx is null then -1
            else cast(len(list_filter(cast($touch_edges as integer[]), lambda e: e <= l.touches)) as integer)
        end as band
    from closed as c
    left join lengths as l on l.deal_idx = c.deal_idx
),

final as (
    select
        cast(closed_month as date) as closed_month,
        band,
        count(*) filter (where won) as won_deals,
        count(*) filter (where not won) as lost_deals,
        coalesce(sum(amount_usd) filter (where won), 0) as won_amount_usd,
        coalesce(sum(touches) filter (where won), 0) as won_touches,
        coalesce(sum(touches) filter (where not won), 0) as lost_touches
    from banded
    group by all
)

select *
from final
order by closed_month, band
