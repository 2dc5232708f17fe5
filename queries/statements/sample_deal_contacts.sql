-- Statement: the sample's deal contacts from `src` (deal and contact numbers become ids).
-- Parameters: none.
insert into deal_contacts
select printf('D%07d', deal + 1), printf('K%08d', contact + 1), role
from src
