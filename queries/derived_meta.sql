-- Question: what were the derived tables built for? (closedloop/engine/journey_tables.py
-- uses them only when a view's parameters and the data still match.)
-- Parameters: none. Columns: key, value.
with

final as (
    select key, value
    from cl_meta
)

select * from final
order by key
