-- Statement: cl_touch (both scopes, touches up to now) computed from the source tables, when
-- the stored one is not current.
-- Parameters: none.
create or replace temp view cl_touch as
select * from journey_rows('account', utc_now(), null)
union all
select * from journey_rows('contact_roles', utc_now(), null)
