-- Statement: the deals (deal_idx, ascending) whose journeys the touchpoints numbered from $mark
-- can join: deals of their accounts, and deals with their contacts in a role.
-- Parameters: $mark (the first rowid of the import's touchpoints).
with added as (
    select account_id, contact_id from touchpoints where rowid >= $mark
),

contact_deals as (
    select dc.deal_id
    from deal_contacts as dc
    where dc.contact_id in (select contact_id from added where contact_id is not null)
),

final as (
    select distinct c.deal_idx
    from cl_deal as c
    join deals as d on d.deal_id = c.deal_id
    where d.account_id in (select account_id from added)
       or d.deal_id in (select deal_id from contact_deals)
)

select deal_idx from final order by deal_idx
