-- Question: how much was spent, and how many leads were created, per channel or
-- campaign in each month or quarter?
-- Parameters: $by ('channel' or 'campaign'); $grain ('month' or 'quarter');
--   $period_from, $period_to (the first days of the first and last periods,
--   inclusive; null = open-ended).
-- Spend: the spend table (docs/spend.md), each row in the period of its date; a
-- campaign without spend rows falls back to its `cost`, spread evenly over the
-- days from started_at to ended_at (started_at alone when it has no end; a cost
-- without a start date can't be placed in time and is left out). Spend by
-- channel (no campaign) is the "(no campaign)" key when grouped by campaign,
-- like touches without a campaign. Leads: leads created in the period, by
-- source_channel or campaign.
-- Keys are named as the attribution roll-ups name them (journey_keys): a
-- campaign by its name, else its id.
with

campaign_names as (
    select campaign_id, channel, coalesce(name, campaign_id) as key
    from campaigns
),

spend_rows as (
    select
        s.spend_date,
        s.amount,
        coalesce(nullif(s.channel, ''), c.channel, '(unknown channel)') as channel,
        coalesce(c.key, nullif(s.campaign_id, ''), '(no campaign)') as campaign
    from spend as s
    left join campaign_names as c on c.campaign_id = s.campaign_id
),

cost_campaigns as (
    select
        c.campaign_id,
        c.channel,
        n.key,
        c.cost,
        cast(c.started_at as date) as first_day,
        greatest(cast(c.started_at as date), cast(coalesce(c.ended_at, c.started_at) as date)) as last_day
    from campaigns as c
    join campaign_names as n on n.campaign_id = c.campaign_id
    where c.cost > 0
      and c.started_at is not null
      and c.campaign_id not in (select campaign_id from spend)
),

cost_days as (
    select
        unnest(generate_series(first_day, last_day, interval 1 day)) as day,
        cost / (date_diff('day', first_day, last_day) + 1) as amount,
        coalesce(channel, '(unknown channel)') as channel,
        key as campaign
    from cost_campaigns
),

cost_rows as (
    select cast(day as date) as spend_date, amount, channel, campaign
    from cost_days
),

spent as (
    select
        cast(date_trunc($grain, spend_date) as date) as period,
        case $by when 'channel' then channel when 'campaign' then campaign end as key,
        sum(amount) as spend_usd
    from (select * from spend_rows union all select * from cost_rows)
    group by all
),

lead_rows as (
    select
        cast(date_trunc($grain, l.created_at) as date) as period,
        case $by
            when 'channel' then coalesce(l.source_channel, '(unknown channel)')
            when 'campaign' then coalesce(c.key, l.campaign_id, '(no campaign)')
        end as key,
        count(*) as leads
    from leads as l
    left join campaign_names as c on c.campaign_id = l.campaign_id
    where not coalesce(l.dates_unknown, false)
    group by all
),

final as (
    select
        coalesce(s.period, l.period) as period,
        coalesce(s.key, l.key) as key,
        coalesce(s.spend_usd, 0.0) as spend_usd,
        coalesce(l.leads, 0) as leads
    from spent as s
    full join lead_rows as l on l.period = s.period and l.key = s.key
)

select period, key, cast(spend_usd as double) as spend_usd, cast(leads as bigint) as leads
from final
where ($by = 'channel' or $by = 'campaign' or error('spend is grouped by channel or campaign'))
  and (cast($period_from as date) is null or period >= cast($period_from as date))
  and (cast($period_to as date) is null or period <= cast($period_to as date))
order by period, key
