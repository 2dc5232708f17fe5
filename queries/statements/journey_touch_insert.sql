-- Statement: (re)build the journey rows of the deals $deals under scope $scope, counting open
-- deals' touches up to $now (the macro journey_rows of queries/macros.sql, defined once).
-- Parameters: $scope ('account' or 'contact_roles'), $now (naive UTC), $deals (deal_idx list).
insert into cl_touch by name
select * from journey_rows($scope, cast($now as timestamp), $deals)
