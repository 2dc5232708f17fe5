-- Statement: the sample's spend rows from `src` (by campaign and month; the channel column is ''
-- since each row names its campaign).
-- Parameters: none.
insert into spend
select spend_date, '', campaign_id, amount
from src
