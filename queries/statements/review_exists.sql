-- Statement: whether a saved review has this id (1) or not (0).
-- Parameters: $review_id.
select count(*) as found
from reviews
where review_id = $review_id
