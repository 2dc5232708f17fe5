-- Statement: the sample's won revenue per touchpoint (what a channel's cost per touch is a
-- multiple of).
-- Parameters: none.
select coalesce(sum(amount) filter (where outcome = 'won'), 0) / greatest((select count(*) from touchpoints), 1)
from deals
