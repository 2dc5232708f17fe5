-- Shared building blocks, loaded as temporary macros on every cursor before a
-- query runs (closedloop.db.run). Parameters are prefixed p_ so they never
-- shadow a column name.

-- Deals with their account's attributes, narrowed by the dashboard's common
-- filters; a null filter means "all".
create or replace temp macro filtered_deals(p_segment, p_region, p_owner) as table
select
    d.deal_id,
    d.account_id,
    d.name,
    d.owner,
    d.created_at,
    d.closed_at,
    d.stage,
    d.outcome,
    d.amount,
    a.name as account_name,
    a.industry,
    a.segment,
    a.region,
    date_diff('day', d.created_at, d.closed_at) as days_to_close
from deals as d
left join accounts as a on a.account_id = d.account_id
where (p_segment is null or a.segment = p_segment)
  and (p_region is null or a.region = p_region)
  and (p_owner is null or d.owner = p_owner);

-- Which touchpoints belong to which deal (DESIGN.md): touches in
-- [created_at - lookback, closed_at], open deals up to now. Touches after the
-- close never count. Scope 'account' takes every touch of the deal's account;
-- 'contact_roles' only touches of the deal's contacts.
create or replace temp macro deal_touches(p_lookback_days, p_scope) as table
with candidates as (
    select d.deal_id, d.created_at, d.closed_at, t.*
    from deals as d
    join touchpoints as t on t.account_id = d.account_id
    where p_scope = 'account'
    union all
    select d.deal_id, d.created_at, d.closed_at, t.*
    from deal_contacts as dc
    join deals as d on d.deal_id = dc.deal_id
    join touchpoints as t on t.contact_id = dc.contact_id
    where p_scope = 'contact_roles'
)
select
    deal_id,
    touchpoint_id,
    occurred_at,
    account_id,
    contact_id,
    team,
    channel,
    touchpoint_type,
    campaign_id,
    asset
from candidates
-- the lookback is counted in whole days back from the deal's creation
where occurred_at >= created_at - to_days(cast(p_lookback_days as integer))
  and occurred_at <= coalesce(closed_at, current_timestamp);
