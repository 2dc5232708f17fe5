-- Question: how much pipeline (deal amount, by the deal's creation date) was
-- created per month or quarter, and how much of it did marketing source,
-- marketing influence, or sales create alone?
-- Each deal created in the period lands in exactly one split, so the splits add
-- up to the CRM's pipeline:
--   first_touch: sourced = the deal's first touch in its window is a marketing
--     touch; influenced = a marketing touch in the window, but the first is sales.
--   window: sourced = a marketing touch in [created_at - $window_days days,
--     created_at] (inside the deal's window); influenced = a marketing touch
--     elsewhere in the window.
--   lead_source: sourced = the earliest lead of the deal's account created at or
--     before the deal came from a marketing channel (not 'sales' / 'outbound');
--     influenced = otherwise, some marketing touch in the window.
--   Otherwise sales_only (touches, none from marketing) or no_touchpoint.
-- Parameters: $date_from, $date_to (dates, inclusive, on the deal's created_at),
--   $segment, $region, $owner (deal owner; null = all), $lookback_days, $scope,
--   $definition ('first_touch', 'window', 'lead_source'), $window_days,
--   $grain ('month' or 'quarter').
-- The deal classification below is the same in pipeline_by_campaign.sql.
with

created as (
    select deal_id, account_id, created_at, outcome, coalesce(amount, 0) as amount
    from filtered_deals($segment, $region, $owner)
    where created_at >= $date_from
      -- the period is inclusive of its last day
      and created_at < cast($date_to as date) + interval 1 day
),

touches as (
    select t.* rename (deal_created_at as created_at)
    from deal_touches_of((select list(deal_id) from created), $lookback_days, $scope) as t
),

touch_summary as (
    select
        deal_id,
        count(*) as touches,
        first(team order by occurred_at, touchpoint_id) as first_team,
        bool_or(team = 'marketing') as any_marketing,
        bool_or(
            team = 'marketing'
            and occurred_at >= created_at - to_days(cast($window_days as integer))
            and occurred_at <= created_at
        ) as marketing_before_creation
    from touches
    group by deal_id
),

leads_with_account as (
    select l.lead_id, l.created_at, l.source_channel, l.campaign_id,
        coalesce(l.account_id, k.account_id) as account_id
    from leads as l
    left join contacts as k on k.contact_id = l.contact_id
),

-- the account's earliest lead created at or before the deal (a later lead
-- cannot have sourced it)
lead_source as (
    select
        c.deal_id,
        first(l.source_channel order by l.created_at, l.lead_id) as source_channel
    from created as c
    join leads_with_account as l
        on l.account_id = c.account_id
       and l.created_at <= c.created_at
    -- only the lead_source definition reads it: the planner drops the join otherwise
    where $definition = 'lead_source'
    group by c.deal_id
),

classified as (
    select
        c.*,
        case
            when $definition not in ('first_touch', 'window', 'lead_source')
                then error('definition must be one of first_touch, window, lead_source')
            when $definition = 'first_touch' and s.first_team = 'marketing' then 'marketing_sourced'
            when $definition = 'window' and s.marketing_before_creation then 'marketing_sourced'
            when $definition = 'lead_source' and ls.source_channel not in ('sales', 'outbound')
                then 'marketing_sourced'
            when s.any_marketing then 'marketing_influenced'
            when s.touches > 0 then 'sales_only'
            else 'no_touchpoint'
        end as split
    from created as c
    left join touch_summary as s on s.deal_id = c.deal_id
    left join lead_source as ls on ls.deal_id = c.deal_id
),

final as (
    select
        cast(case
            when $grain = 'month' then date_trunc('month', created_at)
            when $grain = 'quarter' then date_trunc('quarter', created_at)
            else error('grain must be month or quarter')
        end as date) as period_start,
        split,
        count(*) as deals,
        sum(amount) as pipeline_usd,
        count(*) filter (where outcome = 'won') as won_deals,
        coalesce(sum(amount) filter (where outcome = 'won'), 0) as won_usd
    from classified
    group by all
)

select * from final
order by
    period_start,
    list_position(['marketing_sourced', 'marketing_influenced', 'sales_only', 'no_touchpoint'], split)
