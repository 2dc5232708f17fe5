-- Statement: record the schema version (create_schema, after queries/schema.sql).
-- Parameters: $version.
insert or replace into schema_info values ('schema_version', $version)
