-- Question: for each lead created in the period, how long after its assignment
-- was it first followed up, and was that within the SLA?
-- One row per lead created in the period (assigned or not).
-- Parameters: $date_from, $date_to (dates, inclusive, on the lead's created_at),
--   $segment, $region (of the lead's account), $owner (the lead's owner; null = all),
--   $sla_hours (hours from assignment to first follow-up that count as in time).
with

with_account as (
    -- the period's leads with their account (queries/macros.sql)
    select *
    from leads_created($date_from, $date_to, $segment, $region, $owner)
),

timed as (
    select
        w.*,
        -- a follow-up logged before the assignment counts as immediate (greatest
        -- would turn a missing follow-up into 0, hence the case)
        case
            when w.assigned_at is not null and w.first_follow_up_at is not null
                then greatest(date_diff('second', w.assigned_at, w.first_follow_up_at), 0) / 3600.0
        end as hours_to_follow_up
    from with_account as w
),

final as (
    select
        t.lead_id,
        t.account_name,
        t.owner,
        t.source_channel,
        t.campaign_id,
        cp.name as campaign_name,
        t.created_at,
        t.assigned_at,
        t.first_follow_up_at,
        t.assigned_at is not null as assigned,
        t.assigned_at is not null and t.first_follow_up_at is not null as followed_up,
        t.hours_to_follow_up,
        case
            when t.assigned_at is null then null
            else coalesce(t.hours_to_follow_up <= $sla_hours, false)
        end as within_sla
    from timed as t
    left join campaigns as cp on cp.campaign_id = t.campaign_id
)

select * from final
order by created_at, lead_id
