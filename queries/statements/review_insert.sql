-- Statement: save a review's name, period and model.
-- Parameters: $review_id, $name, $period_from, $period_to, $model.
insert into reviews (review_id, name, period_from, period_to, model)
values ($review_id, $name, $period_from, $period_to, $model)
