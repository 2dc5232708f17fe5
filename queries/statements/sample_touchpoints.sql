-- Statement: a chunk of the sample's touchpoints from `src` (numbers become ids; contact -1 is an
-- anonymous touch); dates_unknown (false) last.
-- Parameters: none.
insert into touchpoints
select
    printf('T%09d', i + 1), occurred_at, printf('A%07d', account + 1),
    case when contact >= 0 then printf('K%08d', contact + 1) end,
    team, channel, touchpoint_type, campaign_id, asset, false
from src
