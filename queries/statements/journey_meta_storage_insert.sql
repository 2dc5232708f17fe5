-- Statement: record the source tables' storage digest (queries/derived_storage.sql) after a
-- committed build, so a later process knows them unchanged from metadata alone.
-- Parameters: $digest.
insert into cl_meta values ('storage', $digest)
