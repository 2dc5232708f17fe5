-- Statement: how many deals cl_deal numbers (deal_idx runs 1..count), to build cl_touch in slices.
-- Parameters: none.
select count(*) as deals from cl_deal
