-- Question: how much pipeline (deal amount, by the deal's creation date) was
-- created per month or quarter, and how much of it did marketing source,
-- marketing influence, or sales create alone — and how much did each campaign
-- and each channel source and influence, and what did each won deal cost?
-- One pass over the period's touches answers both; the rows say which table they
-- belong to in `dimension`:
--   'period' rows: period_start, split, deals, pipeline_usd, won_deals, won_usd.
--     Each deal created in the period lands in exactly one split, so the splits
--     add up to the CRM's pipeline:
--     first_touch: sourced = the deal's first touch in its window is a marketing
--       touch; influenced = a marketing touch in the window, but the first is sales.
--     window: sourced = a marketing touch in [created_at - $window_days days,
--       created_at] (inside the deal's window); influenced = a marketing touch
--       elsewhere in the window.
--     lead_source: sourced = the earliest lead of the deal's account created at or
--       before the deal came from a marketing channel (not 'sales' / 'outbound');
--       influenced = otherwise, some marketing touch in the window.
--     Otherwise sales_only (touches, none from marketing) or no_touchpoint.
--   'campaign' and 'channel' rows: key, name, deals_sourced, sourced_pipeline_usd,
--     deals_influenced, influenced_pipeline_usd, deals, pipeline_usd, won_deals,
--     won_usd, cost_usd, cost_per_won_deal_usd.
--     A deal counts in full for every campaign / channel whose marketing touch is
--     in its window, so these rows add up to more than the pipeline. Its role
--     follows the same definition:
--     first_touch: it sourced the deal if the deal's first touch is its touch;
--     window: if it touched the deal in [created_at - $window_days days, created_at];
--     lead_source: if the deal's source lead came from it (campaign = the lead's
--       campaign_id, channel = the lead's source_channel).
--     Any other marketing touch in the window: it influenced the deal.
--     Cost per won deal = campaign cost (whole campaign; for a channel, the summed
--     cost of the campaigns of that channel) ÷ won deals it sourced or influenced.
-- Parameters: $date_from, $date_to (dates, inclusive, on the deal's created_at),
--   $segment, $region, $owner (deal owner; null = all), $lookback_days, $scope,
--   $definition ('first_touch', 'window', 'lead_source'), $window_days,
--   $grain ('month' or 'quarter').
with

created as (
    select deal_id, account_id, created_at, outcome, coalesce(amount, 0) as amount
    from filtered_deals($segment, $region, $owner)
    where created_at >= $date_from
      -- the period is inclusive of its last day
      and created_at < cast($date_to as date) + interval 1 day
),

touches as (
    select
        t.deal_id,
        t.touchpoint_id,
        t.occurred_at,
        t.team,
        coalesce(t.campaign_id, '(no campaign)') as campaign_key,
        t.channel,
        t.deal_created_at as created_at
    from deal_touches_of((select list(deal_id) from created), $lookback_days, $scope) as t
),

-- one row per deal with a touch: what the split and the first-touch roles need
deal_summary as (
    select
        deal_id,
        count(*) as touches,
        first(team order by occurred_at, touchpoint_id) as first_team,
        first(campaign_key order by occurred_at, touchpoint_id) as first_campaign_key,
        first(channel order by occurred_at, touchpoint_id) as first_channel_key,
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
        first(l.source_channel order by l.created_at, l.lead_id) as source_channel,
        first(coalesce(l.campaign_id, '(no campaign)') order by l.created_at, l.lead_id) as campaign_key
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
    left join deal_summary as s on s.deal_id = c.deal_id
    left join lead_source as ls on ls.deal_id = c.deal_id
),

by_period as (
    select
        'period' as dimension,
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
),

-- every (deal, dimension, key) with a marketing touch in the deal's window, and
-- whether one of those touches was in the N days up to the deal's creation
touched as (
    select
        deal_id,
        case when grouping(channel) = 1 then 'campaign' else 'channel' end as dimension,
        -- the set's key: the other column is null there
        coalesce(campaign_key, channel) as key,
        bool_or(
            occurred_at >= created_at - to_days(cast($window_days as integer))
            and occurred_at <= created_at
        ) as near_creation
    from touches
    where team = 'marketing'
    group by grouping sets ((deal_id, campaign_key), (deal_id, channel))
),

-- the (deal, dimension, key) that sourced a deal under first_touch or lead_source
sources as (
    select deal_id, 'campaign' as dimension, first_campaign_key as key
    from deal_summary
    where $definition = 'first_touch' and first_team = 'marketing'
    union all
    select deal_id, 'channel', first_channel_key
    from deal_summary
    where $definition = 'first_touch' and first_team = 'marketing'
    union all
    select deal_id, 'campaign', campaign_key
    from lead_source
    where $definition = 'lead_source' and source_channel not in ('sales', 'outbound')
    union all
    select deal_id, 'channel', source_channel
    from lead_source
    where $definition = 'lead_source' and source_channel not in ('sales', 'outbound')
),

roles as (
    select
        coalesce(s.deal_id, t.deal_id) as deal_id,
        coalesce(s.dimension, t.dimension) as dimension,
        coalesce(s.key, t.key) as key,
        case
            when $definition not in ('first_touch', 'window', 'lead_source')
                then error('definition must be one of first_touch, window, lead_source')
            when s.deal_id is not null then 'sourced'
            -- window: a marketing touch in the N days up to the deal's creation
            when $definition = 'window' and t.near_creation then 'sourced'
            else 'influenced'
        end as role
    from touched as t
    full join sources as s on s.deal_id = t.deal_id and s.dimension = t.dimension and s.key = t.key
),

costs as (
    select 'campaign' as dimension, campaign_id as key, name, cost as cost_usd
    from campaigns
    union all
    select 'channel', channel, null, sum(cost)
    from campaigns
    where channel is not null
    group by channel
),

per_key as (
    select
        r.dimension,
        r.key,
        count(*) filter (where r.role = 'sourced') as deals_sourced,
        coalesce(sum(c.amount) filter (where r.role = 'sourced'), 0) as sourced_pipeline_usd,
        count(*) filter (where r.role = 'influenced') as deals_influenced,
        coalesce(sum(c.amount) filter (where r.role = 'influenced'), 0) as influenced_pipeline_usd,
        count(*) as deals,
        sum(c.amount) as pipeline_usd,
        count(*) filter (where c.outcome = 'won') as won_deals,
        coalesce(sum(c.amount) filter (where c.outcome = 'won'), 0) as won_usd
    from roles as r
    join created as c on c.deal_id = r.deal_id
    group by r.dimension, r.key
),

by_key as (
    select
        p.dimension,
        p.key,
        coalesce(k.name, p.key) as name,
        p.deals_sourced,
        p.sourced_pipeline_usd,
        p.deals_influenced,
        p.influenced_pipeline_usd,
        p.deals,
        p.pipeline_usd,
        p.won_deals,
        p.won_usd,
        k.cost_usd,
        k.cost_usd / nullif(p.won_deals, 0) as cost_per_won_deal_usd
    from per_key as p
    left join costs as k on k.dimension = p.dimension and k.key = p.key
),

-- the columns named on both sides (Spark SQL has no union by name)
final as (
    select
        dimension, period_start, split, deals, pipeline_usd, won_deals, won_usd,
        null as key, null as name, null as deals_sourced, null as sourced_pipeline_usd,
        null as deals_influenced, null as influenced_pipeline_usd, null as cost_usd,
        null as cost_per_won_deal_usd
    from by_period
    union all
    select
        dimension, null, null, deals, pipeline_usd, won_deals, won_usd,
        key, name, deals_sourced, sourced_pipeline_usd, deals_influenced, influenced_pipeline_usd, cost_usd,
        cost_per_won_deal_usd
    from by_key
)

select * from final
order by
    dimension,
    period_start,
    list_position(['marketing_sourced', 'marketing_influenced', 'sales_only', 'no_touchpoint'], split),
    pipeline_usd desc,
    key
