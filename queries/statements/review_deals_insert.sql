-- Statement: save a review's agenda: its deals at their positions (the two lists pair up).
-- Parameters: $review_id, $deal_ids, $positions.
insert into review_deals (review_id, deal_id, position)
select $review_id, unnest(cast($deal_ids as varchar[])), unnest(cast($positions as integer[]))
