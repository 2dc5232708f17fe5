-- Question: which touchpoint types preceded the period's won deals, and which
-- its lost deals? Share of won deals touched vs share of lost deals touched.
-- Parameters: $date_from, $date_to (dates, inclusive, on closed_at),
--   $segment, $region, $owner (null = all), $lookback_days, $scope.
with

closed as (
    select deal_id, outcome
    from filtered_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

totals as (
    select
        count(*) filter (where outcome = 'won') as won_total,
        count(*) filter (where outcome = 'lost') as lost_total
    from closed
),

-- one row per (deal, type): a deal counts once for each type that touched it
deal_types as (
    select
        t.deal_id,
        t.touchpoint_type,
        -- a type belongs to one team; any_value keeps it for colouring
        any_value(t.team) as team
    from deal_touches_of((select list(deal_id) from closed), $lookback_days, $scope) as t
    group by t.deal_id, t.touchpoint_type
),

per_type as (
    select
        dt.touchpoint_type,
        any_value(dt.team) as team,
        count(*) filter (where c.outcome = 'won') as won_deals_touched,
        count(*) filter (where c.outcome = 'lost') as lost_deals_touched
    from deal_types as dt
    join closed as c on c.deal_id = dt.deal_id
    group by dt.touchpoint_type
),

final as (
    select
        p.touchpoint_type,
        p.team,
        p.won_deals_touched,
        t.won_total as won_deals_total,
        p.lost_deals_touched,
        t.lost_total as lost_deals_total,
        coalesce(p.won_deals_touched / nullif(t.won_total, 0), 0) as share_won_touched,
        coalesce(p.lost_deals_touched / nullif(t.lost_total, 0), 0) as share_lost_touched,
        coalesce(p.won_deals_touched / nullif(t.won_total, 0), 0)
            - coalesce(p.lost_deals_touched / nullif(t.lost_total, 0), 0) as share_difference
    from per_type as p
    cross join totals as t
)

select * from final
order by share_difference desc, touchpoint_type
