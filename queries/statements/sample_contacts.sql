-- Statement: the sample's contacts from `src` (numbers become ids).
-- Parameters: none.
insert into contacts
select printf('K%08d', i + 1), printf('A%07d', account + 1), title, persona, created_at
from src
