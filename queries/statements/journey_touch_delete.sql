-- Statement: drop the journey rows (both scopes) of the deals $deals, before they are rebuilt.
-- Parameters: $deals (deal_idx list).
delete from cl_touch where deal_idx in (select unnest($deals))
