-- Statement: the sample's accounts from the generator's frame `src` (closedloop/sample): 0-based
-- numbers become ids (0 -> A0000001), a name from a prefix and a suffix (and a number when repeated).
-- Parameters: none.
insert into accounts
select
    printf('A%07d', i + 1),
    cast(prefix as varchar) || ' ' || cast(suffix as varchar)
    || case when rep > 0 then ' ' || cast(rep + 1 as varchar) else '' end,
    industry, segment, region, employees
from src
