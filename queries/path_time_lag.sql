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

closed as (
    select deal_idx, deal_id, outcome = 'won' as won, amount_usd, closed_at
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
    where closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

first_touch as (
    select j.deal_idx, t.occurred_at as first_touch_at
    from journeys($lookback_days, $scope, null) as j
    join touchpoints as t on t.touchpoint_id = j.touchpoint_id
    where j.rn = 1
      and j.deal_idx in (select deal_idx from closed)
),

undated as (
    select deal_id
    from deals
    where coalesce(dates_unknown, false)
),

lagged as (
    select
        c.won,
        c.amount_usd,
        date_trunc('month', c.closed_at) as closed_month,
        case when c.deal_id in (select deal_id from undated) then null
            else date_diff('day', f.first_touch_at, c.closed_at) end as days,
        case
            when f.deal_idx is null then -1
            when c.deal_id in (select deal_id from undated) then -2
            else cast(len(list_filter(cast($day_edges as integer[]),
                lambda e: e <= date_diff('day', f.first_touch_at, c.closed_at))) as integer)
        end as band
    from closed as c
    left join first_touch as f on f.deal_idx = c.deal_idx
),

final as (
    select
        cast(closed_month as date) as closed_month,
        band,
        count(*) filter (where won) as won_deals,
        count(*) filter (where not won) as lost_deals,
        coalesce(sum(amount_usd) filter (where won), 0) as won_amount_usd,
        coalesce(sum(days) filter (where won), 0) as won_days,
        coalesce(sum(days) filter (where not won), 0) as lost_days
    from lagged
    group by all
)

select *
from final
order by closed_month, band
