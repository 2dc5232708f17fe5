-- Question: how many deals and deal touches do the derived tables hold?
-- Parameters: none.
with

final as (
    select
        (select count(*) from cl_deal) as deals,
        (select count(*) from cl_touch) as touches
)

select * from final
