-- Statement: the sample's marketing touches per campaign and month, with the campaign's channel.
-- Parameters: none.
select
    t.campaign_id, c.channel, cast(date_trunc('month', t.occurred_at) as date) as spend_date,
    count(*) as touches
from touchpoints as t
join campaigns as c on c.campaign_id = t.campaign_id
where t.team = 'marketing'
group by all
order by all
