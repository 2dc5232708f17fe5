-- Question: which rows refer to an account, contact, campaign, deal or touchpoint
-- that isn't in the database?
-- Parameters: $sample_size (rows returned; `total` counts them all).
-- `not in` over a primary key (never null; every unfiltered column below is not null
-- either) means what `not exists` would, and runs as one hash lookup per row: about
-- twice as fast at 10M touchpoints.
with

refs as (
    select 'contacts' as table_name, c.contact_id as row_id, 'account_id' as column_name,
        c.account_id as missing_id, 'accounts' as refers_to
    from contacts as c
    where c.account_id is not null
      and c.account_id not in (select account_id from accounts)

    union all
    select 'leads', l.lead_id, 'contact_id', l.contact_id, 'contacts'
    from leads as l
    where l.contact_id is not null
      and l.contact_id not in (select contact_id from contacts)

    union all
    select 'leads', l.lead_id, 'account_id', l.account_id, 'accounts'
    from leads as l
    where l.account_id is not null
      and l.account_id not in (select account_id from accounts)

    union all
    select 'leads', l.lead_id, 'campaign_id', l.campaign_id, 'campaigns'
    from leads as l
    where l.campaign_id is not null
      and l.campaign_id not in (select campaign_id from campaigns)

    union all
    select 'deals', d.deal_id, 'account_id', d.account_id, 'accounts'
    from deals as d
    where d.account_id is not null
      and d.account_id not in (select account_id from accounts)

    union all
    select 'deal_contacts', dc.deal_id || ' / ' || dc.contact_id, 'deal_id', dc.deal_id, 'deals'
    from deal_contacts as dc
    where dc.deal_id not in (select deal_id from deals)

    union all
    select 'deal_contacts', dc.deal_id || ' / ' || dc.contact_id, 'contact_id', dc.contact_id, 'contacts'
    from deal_contacts as dc
    where dc.contact_id not in (select contact_id from contacts)

    union all
    select 'deal_stage_history', h.deal_id || ' / ' || h.stage, 'deal_id', h.deal_id, 'deals'
    from deal_stage_history as h
    where h.deal_id not in (select deal_id from deals)

    union all
    select 'touchpoints', t.touchpoint_id, 'account_id', t.account_id, 'accounts'
    from touchpoints as t
    where t.account_id not in (select account_id from accounts)

    union all
    select 'touchpoints', t.touchpoint_id, 'contact_id', t.contact_id, 'contacts'
    from touchpoints as t
    where t.contact_id is not null
      and t.contact_id not in (select contact_id from contacts)

    union all
    select 'touchpoints', t.touchpoint_id, 'campaign_id', t.campaign_id, 'campaigns'
    from touchpoints as t
    where t.campaign_id is not null
      and t.campaign_id not in (select campaign_id from campaigns)

    union all
    select 'retro_notes', cast(n.note_id as varchar), 'deal_id', n.deal_id, 'deals'
    from retro_notes as n
    where n.deal_id not in (select deal_id from deals)

    union all
    select 'retro_notes', cast(n.note_id as varchar), 'touchpoint_id', n.touchpoint_id, 'touchpoints'
    from retro_notes as n
    where n.touchpoint_id is not null
      -- only the touchpoints notes name are looked up: not a hash table of every touchpoint
      and n.touchpoint_id not in (
          select t.touchpoint_id from touchpoints as t
          where t.touchpoint_id in (select touchpoint_id from retro_notes)
      )
),

final as (
    select table_name, row_id, column_name, missing_id, refers_to, count(*) over () as total
    from refs
    order by table_name, row_id, column_name
    limit $sample_size
)

select * from final;
