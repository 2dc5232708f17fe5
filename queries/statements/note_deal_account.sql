-- Statement: the account of the deal a note is about (no row: no such deal).
-- Parameters: $deal_id.
select account_id
from deals
where deal_id = $deal_id
