-- Statement: the sample's deals from `src`, named after their account and product; every column
-- in the table's order, dates_unknown (false: the sample has real dates) last.
-- Parameters: none.
insert into deals
select
    printf('D%07d', d.i + 1), printf('A%07d', d.account + 1),
    a.name || ' – ' || cast(d.product as varchar), d.owner,
    d.created_at, d.closed_at, d.stage, d.outcome, d.amount, false
from src as d
join accounts as a on a.account_id = printf('A%07d', d.account + 1)
