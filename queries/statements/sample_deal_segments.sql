-- Statement: each deal of the sample with its account, creation time and segment, in deal order.
-- Parameters: none.
select d.account_id, d.created_at, a.segment
from deals as d
join accounts as a using (account_id)
order by d.deal_id
