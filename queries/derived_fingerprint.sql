-- Question: has the data the journey tables are built from changed since the
-- build? A digest of every row of those tables (each row's hash, summed), as
-- one text value that queries/derived_build.sql stores in cl_meta: any insert,
-- delete or update of a column the journeys use changes it. Names (campaigns,
-- accounts) are read at query time and are left out, so a rename needs no
-- rebuild. (about 1 s at 10M touchpoints; closedloop/engine/journey_tables.py computes it
-- once per process and database file state)
-- Parameters: none.
with

final as (
    select concat_ws(
        ',',
        (select count(*) || ':' || coalesce(sum(hash(
            deal_id, account_id, owner, created_at, closed_at, stage, outcome, amount)), 0) from deals),
        (select count(*) || ':' || coalesce(sum(hash(
            touchpoint_id, occurred_at, account_id, contact_id, team, channel, touchpoint_type,
            campaign_id, asset)), 0) from touchpoints),
        (select count(*) || ':' || coalesce(sum(hash(account_id, segment, region)), 0) from accounts),
        (select count(*) || ':' || coalesce(sum(hash(contact_id, account_id, created_at)), 0) from contacts),
        (select count(*) || ':' || coalesce(sum(hash(lead_id, contact_id, account_id, created_at)), 0) from leads),
        (select count(*) || ':' || coalesce(sum(hash(deal_id, contact_id)), 0) from deal_contacts)
    ) as fingerprint
)

select * from final
