-- Statement: whether a deal is on a review's agenda (1) or not (0).
-- Parameters: $review_id, $deal_id.
select count(*) as found
from review_deals
where review_id = $review_id and deal_id = $deal_id
