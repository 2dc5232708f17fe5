-- Statement: save how a review's agenda was chosen (selection and filters) and its touch window.
-- Parameters: $review_id, $selection, $largest_n, $segment, $region, $owner, $lookback_days, $scope.
insert into review_settings
values ($review_id, $selection, $largest_n, $segment, $region, $owner, $lookback_days, $scope)
