-- Statement: cl_key computed from the source tables, when the stored one is not current.
-- Parameters: none.
create or replace temp view cl_key as select * from journey_key_rows()
