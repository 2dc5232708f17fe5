-- Question: which leads created in the period were assigned but never followed
-- up, and what did each cost? Cost per lead = the cost of the lead's campaign ÷
-- every lead that campaign produced (all time, whatever the filters), so the
-- figure does not change with the period picked.
-- Parameters: $date_from, $date_to (dates, inclusive, on the lead's created_at),
--   $segment, $region (of the lead's account), $owner (the lead's owner; null = all).
with

campaign_leads as (
    select campaign_id, count(*) as leads
    from leads
    where campaign_id is not null
    group by campaign_id
),

never as (
    -- the period's leads with their account (queries/macros.sql)
    select *
    from leads_created($date_from, $date_to, $segment, $region, $owner)
    where assigned_at is not null
      and first_follow_up_at is null
),

final as (
    select
        n.lead_id,
        n.account_name,
        n.owner,
        n.source_channel,
        n.campaign_id,
        cp.name as campaign_name,
        n.created_at,
        n.assigned_at,
        case
            when n.disqualified_at is not null then 'disqualified'
            when n.accepted_at is not null then 'accepted'
            else 'open'
        end as lead_status,
        cp.cost as campaign_cost_usd,
        cl.leads as campaign_leads,
        cp.cost / nullif(cl.leads, 0) as cost_per_lead_usd
    from never as n
    left join campaigns as cp on cp.campaign_id = n.campaign_id
    left join campaign_leads as cl on cl.campaign_id = n.campaign_id
)

select * from final
order by cost_per_lead_usd desc nulls last, created_at, lead_id
