-- Question: is the deal a note is about known, and is the touch it names (if any) one of the
-- deal's touches (a touch of the deal's account or of one of the deal's contacts)? Asked of
-- wherever the data lives (DuckDB, or Spark with CLOSEDLOOP_ENGINE=spark), so that a note can be
-- saved into a local file that holds only the app's own tables (docs/scale-out.md).
-- Parameters: $deal_id; $touchpoint_id (null: a note on the whole deal).
with

deal as (
    select account_id
    from deals
    where deal_id = $deal_id
),

touch as (
    select account_id, contact_id
    from touchpoints
    where touchpoint_id = $touchpoint_id
),

roles as (
    select contact_id
    from deal_contacts
    where deal_id = $deal_id
),

final as (
    select
        (select count(*) from deal) as deals_found,
        (select count(*) from touch) as touches_found,
        (select count(*) from touch as t inner join deal as d on t.account_id = d.account_id) as on_account,
        (select count(*) from touch as t inner join roles as r on t.contact_id = r.contact_id) as on_contact
)

select * from final
