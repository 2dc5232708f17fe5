-- Question: what happened on one deal, in time order: every touch that belongs
-- to it (marketing and sales), the leads created at its account (or its
-- contacts), its creation as an opportunity, its stage changes and its close;
-- and which touches carry retrospective notes?
-- Parameters: $deal_id; $lookback_days, $scope (which touches belong to the deal).
-- One row per touch (event = 'touch') and one row per marker time (event =
-- 'lead_created', 'opportunity_created', 'stage' or 'closed'); markers at the
-- same instant share one row, their labels joined with ' · '.
with

deal as (
    select deal_id, account_id, created_at, closed_at, outcome
    from deals
    where deal_id = $deal_id
),

touches as (
    select t.*
    from deal_touches_of([$deal_id], $lookback_days, $scope) as t
),

touch_notes as (
    select
        touchpoint_id,
        count(*) as notes,
        string_agg(team || ': ' || coalesce(verdict, 'no verdict'), '; ' order by created_at, note_id)
            as note_verdicts
    from retro_notes
    where deal_id = $deal_id and touchpoint_id is not null
    group by touchpoint_id
),

touch_rows as (
    select
        'touch' as event,
        t.occurred_at,
        t.touchpoint_id,
        t.team,
        t.channel,
        t.touchpoint_type,
        coalesce(cp.name, t.campaign_id) as campaign_name,
        t.asset,
        t.contact_id,
        k.title as contact_title,
        coalesce(n.notes, 0) as notes,
        n.note_verdicts,
        null as label
    from touches as t
    left join campaigns as cp on cp.campaign_id = t.campaign_id
    left join contacts as k on k.contact_id = t.contact_id
    left join touch_notes as n on n.touchpoint_id = t.touchpoint_id
),

-- leads of the deal's account (scope account) or of its contacts
-- (contact_roles), created up to the close
deal_leads as (
    select l.lead_id, l.created_at, l.source_channel
    from leads as l
    join deal as d on l.account_id = d.account_id
    where $scope = 'account'
    union
    select l.lead_id, l.created_at, l.source_channel
    from leads as l
    join deal_contacts as dc on dc.contact_id = l.contact_id and dc.deal_id = $deal_id
    where $scope = 'contact_roles'
),

markers as (
    select
        1 as priority,
        'lead_created' as event,
        l.created_at as occurred_at,
        'Lead ' || l.lead_id || ' created' || coalesce(' (' || l.source_channel || ')', '') as label
    from deal_leads as l
    join deal as d on true
    where l.created_at <= coalesce(d.closed_at, current_timestamp)
    union all
    select 0, 'opportunity_created', created_at, 'Opportunity created'
    from deal
    where created_at is not null
    union all
    -- the close marker already says how a deal ended
    select 2, 'stage', h.entered_at, 'Stage: ' || h.stage
    from deal_stage_history as h
    join deal as d on d.deal_id = h.deal_id
    where d.closed_at is null or h.entered_at <> d.closed_at
    union all
    select 3, 'closed', closed_at, 'Closed ' || outcome
    from deal
    where closed_at is not null
),

marker_rows as (
    select
        arg_min(event, priority) as event,
        occurred_at,
        null as touchpoint_id,
        null as team,
        null as channel,
        null as touchpoint_type,
        null as campaign_name,
        null as asset,
        null as contact_id,
        null as contact_title,
        0 as notes,
        null as note_verdicts,
        string_agg(label, ' · ' order by priority, label) as label
    from markers
    group by occurred_at
),

final as (
    select * from touch_rows
    union all
    select * from marker_rows
)

select * from final
order by occurred_at, event = 'touch', touchpoint_id
