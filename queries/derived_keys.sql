-- Question: which key does each integer code of a dimension stand for in the
-- derived tables (queries/derived_build.sql)? Parameters: $dimension
-- (channel, touchpoint_type, team, campaign or asset). Columns: code, raw
-- (the column's value; null for a touch without campaign or asset), key (as
-- attribution_key() names it).
with

final as (
    select code, raw, key
    from cl_key
    where dimension = $dimension
)

select * from final
order by code
