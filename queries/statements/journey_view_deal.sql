-- Statement: cl_deal computed from the source tables, when the stored one is not current.
-- Parameters: none.
create or replace temp view cl_deal as select * from journey_deal_rows()
