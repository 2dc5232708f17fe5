-- Statement: the sample's campaigns from `src`.
-- Parameters: none.
insert into campaigns
select campaign_id, name, channel, campaign_type, cost, started_at, ended_at
from src
