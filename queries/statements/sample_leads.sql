-- Statement: the sample's leads from `src` (numbers become ids; campaign -1 is none); every
-- column in the table's order, dates_unknown (false) last.
-- Parameters: none.
insert into leads
select
    printf('L%08d', i + 1), printf('K%08d', contact + 1), printf('A%07d', account + 1), source_channel,
    created_at, mql_at, assigned_at, owner, first_follow_up_at, accepted_at, disqualified_at,
    disqualify_reason, case when campaign >= 0 then printf('C%03d', campaign + 1) end, false
from src
