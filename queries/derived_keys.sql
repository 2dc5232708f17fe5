-- Question: which key does each integer code of a dimension stand for in the
-- journey tables (queries/derived_build.sql)? Parameters: $dimension
-- (channel, touchpoint_type, team, campaign or asset). Columns: code, raw
-- (the column's value; null for a touch without campaign or asset), key (as
-- attribution_key() names it, read now: a renamed campaign shows its new name).
with

final as (
    select code, raw, key
    from journey_keys($dimension)
)

select * from final
order by code
