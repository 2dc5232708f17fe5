-- Question: for each campaign (or channel), how much of the pipeline created in
-- the period did it source, how much did it influence, how many of those deals
-- were won, and what did each won deal cost?
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
--   $definition ('first_touch', 'window', 'lead_source'), $window_days,
--   $by ('campaign' or 'channel', from this fixed list).
with

created as (
    select deal_id, account_id, created_at, outcome, coalesce(amount, 0) as amount
    from filtered_deals($segment, $region, $owner)
    where created_at >= $date_from
      and created_at < cast($date_to as date) + interval 1 day
),

touches as (
    select
        t.*,
        c.created_at,
        case
            when $by = 'campaign' then coalesce(t.campaign_id, '(no campaign)')
            when $by = 'channel' then t.channel
            else error('by must be one of campaign, channel')
        end as key
    from deal_touches_of((select list(deal_id) from created), $lookback_days, $scope) as t
    join created as c on c.deal_id = t.deal_id
),

first_touch as (
    select
        deal_id,
        first(team order by occurred_at, touchpoint_id) as team,
        first(key order by occurred_at, touchpoint_id) as key
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
    group by c.deal_id
),

-- every (deal, key) a campaign / channel sourced
sourced as (
    select deal_id, key
    from first_touch
    where $definition = 'first_touch' and team = 'marketing'
    union
    select deal_id, key
    from touches
    where $definition = 'window'
      and team = 'marketing'
      and occurred_at >= created_at - to_days(cast($window_days as integer))
      and occurred_at <= created_at
    union
    select deal_id, case when $by = 'campaign' then campaign_key else source_channel end
    from lead_source
    where $definition = 'lead_source' and source_channel not in ('sales', 'outbound')
),

touched as (
    select distinct deal_id, key from touches where team = 'marketing'
),

roles as (
    select
        coalesce(s.deal_id, t.deal_id) as deal_id,
        coalesce(s.key, t.key) as key,
        case
            when $definition not in ('first_touch', 'window', 'lead_source')
                then error('definition must be one of first_touch, window, lead_source')
            when s.deal_id is not null then 'sourced'
            else 'influenced'
        end as role
    from sourced as s
    full join touched as t on t.deal_id = s.deal_id and t.key = s.key
),

costs as (
    select campaign_id as key, name, cost as cost_usd
    from campaigns
    where $by = 'campaign'
    union all
    select channel, null, sum(cost)
    from campaigns
    where $by = 'channel' and channel is not null
    group by channel
),

per_key as (
    select
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
    group by r.key
),

final as (
    select
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
    left join costs as k on k.key = p.key
)

select * from final
order by pipeline_usd desc, key
