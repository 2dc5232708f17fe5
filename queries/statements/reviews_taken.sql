-- Statement: every saved review's id and name (a new review's name and id must be new).
-- Parameters: none.
select review_id, name
from reviews
