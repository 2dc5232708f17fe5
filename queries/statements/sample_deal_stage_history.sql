-- Statement: the sample's stage history from `src` (deal numbers become ids).
-- Parameters: none.
insert into deal_stage_history
select printf('D%07d', deal + 1), stage, entered_at
from src
