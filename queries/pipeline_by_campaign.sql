-- Question: for each campaign and for each channel (dimension 'campaign' or
-- 'channel'), how much of the pipeline created in the period did it source, how
-- much did it influence, how many of those deals were won, and what did each won
-- deal cost? Both dimensions come from one pass over the period's touches.
-- A deal counts in full for every campaign / channel whose marketing touch is in
-- its window, so the rows add up to more than the pipeline. The campaign's role
-- follows the chosen definition (see pipeline_by_period.sql):
--   first_touch: it sourced the deal if the deal's first touch is its touch;
--   window: if it touched the deal in [created_at - $window_days days, created_at];
--   lead_source: if the deal's source lead (the account's earliest lead at or
--     before the deal, from a marketing channel) came from it (campaign = the
--     lead's campaign_id, channel = the lead's source_channel).
--   Any other marketing touch in the window: it influenced the deal.
-- Cost per won deal = campaign cost (whole campaign; for a channel, the summed
-- cost of the campaigns of that channel) ÷ won deals it sourced or influenced.
-- Parameters: $date_from, $date_to (dates, inclusive, on the deal's created_at),
--   $segment, $region, $owner (deal owner; null = all), $lookback_days, $scope,
--   $definition ('first_touch', 'window', 'lead_source'), $window_days.
with

created as (
    select deal_id, account_id, created_at, outcome, coalesce(amount, 0) as amount
    from filtered_deals($segment, $region, $owner)
    where created_at >= $date_from
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

first_touch as (
    select
        deal_id,
        first(team order by occurred_at, touchpoint_id) as team,
        first(campaign_key order by occurred_at, touchpoint_id) as campaign_key,
        first(channel order by occurred_at, touchpoint_id) as channel_key
    from touches
    group by deal_id
),

leads_with_account as (
    select l.lead_id, l.created_at, l.source_channel, l.campaign_id,
        coalesce(l.account_id, k.account_id) as account_id
    from leads as l
    left join contacts as k on k.contact_id = l.contact_id
),

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
    select deal_id, 'campaign' as dimension, campaign_key as key
    from first_touch
    where $definition = 'first_touch' and team = 'marketing'
    union all
    select deal_id, 'channel', channel_key
    from first_touch
    where $definition = 'first_touch' and team = 'marketing'
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

final as (
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
)

select * from final
order by dimension, pipeline_usd desc, key
