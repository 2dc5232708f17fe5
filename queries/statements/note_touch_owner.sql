-- Statement: the account and contact of the touch a note is about (no row: no such touch).
-- Parameters: $touchpoint_id.
select account_id, contact_id
from touchpoints
where touchpoint_id = $touchpoint_id
