-- Question: which rows refer to an account, contact, campaign, deal or touchpoint
-- that isn't in the database?
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

refs as (
    select 'contacts' as table_name, c.contact_id as row_id, 'account_id' as column_name,
        c.account_id as missing_id, 'accounts' as refers_to
    from contacts as c
    where c.account_id is not null
      and not exists (select 1 from accounts as a where a.account_id = c.account_id)

    union all
    select 'leads', l.lead_id, 'contact_id', l.contact_id, 'contacts'
    from leads as l
    where l.contact_id is not null
      and not exists (select 1 from contacts as c where c.contact_id = l.contact_id)

    union all
    select 'leads', l.lead_id, 'account_id', l.account_id, 'accounts'
    from leads as l
    where l.account_id is not null
      and not exists (select 1 from accounts as a where a.account_id = l.account_id)

    union all
    select 'leads', l.lead_id, 'campaign_id', l.campaign_id, 'campaigns'
    from leads as l
    where l.campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = l.campaign_id)

    union all
    select 'deals', d.deal_id, 'account_id', d.account_id, 'accounts'
    from deals as d
    where d.account_id is not null
      and not exists (select 1 from accounts as a where a.account_id = d.account_id)

    union all
    select 'deal_contacts', dc.deal_id || ' / ' || dc.contact_id, 'deal_id', dc.deal_id, 'deals'
    from deal_contacts as dc
    where not exists (select 1 from deals as d where d.deal_id = dc.deal_id)

    union all
    select 'deal_contacts', dc.deal_id || ' / ' || dc.contact_id, 'contact_id', dc.contact_id, 'contacts'
    from deal_contacts as dc
    where not exists (select 1 from contacts as c where c.contact_id = dc.contact_id)

    union all
    select 'deal_stage_history', h.deal_id || ' / ' || h.stage, 'deal_id', h.deal_id, 'deals'
    from deal_stage_history as h
    where not exists (select 1 from deals as d where d.deal_id = h.deal_id)

    union all
    select 'touchpoints', t.touchpoint_id, 'account_id', t.account_id, 'accounts'
    from touchpoints as t
    where not exists (select 1 from accounts as a where a.account_id = t.account_id)

    union all
    select 'touchpoints', t.touchpoint_id, 'contact_id', t.contact_id, 'contacts'
    from touchpoints as t
    where t.contact_id is not null
      and not exists (select 1 from contacts as c where c.contact_id = t.contact_id)

    union all
    select 'touchpoints', t.touchpoint_id, 'campaign_id', t.campaign_id, 'campaigns'
    from touchpoints as t
    where t.campaign_id is not null
      and not exists (select 1 from campaigns as c where c.campaign_id = t.campaign_id)

    union all
    select 'retro_notes', cast(n.note_id as varchar), 'deal_id', n.deal_id, 'deals'
    from retro_notes as n
    where not exists (select 1 from deals as d where d.deal_id = n.deal_id)

    union all
    select 'retro_notes', cast(n.note_id as varchar), 'touchpoint_id', n.touchpoint_id, 'touchpoints'
    from retro_notes as n
    where n.touchpoint_id is not null
      and not exists (select 1 from touchpoints as t where t.touchpoint_id = n.touchpoint_id)
),

final as (
    select table_name, row_id, column_name, missing_id, refers_to, count(*) over () as total
    from refs
    order by table_name, row_id, column_name
    limit $sample_size
)

select * from final;
