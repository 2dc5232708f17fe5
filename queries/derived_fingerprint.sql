-- Question: has the data changed since the derived tables were built? The row
-- counts of the tables they are built from, as one text value that
-- queries/derived_build.sql stores in cl_meta. (Imports and the sample rebuild
-- the derived tables themselves; this catches writes that bypassed them.)
-- Parameters: none.
with

final as (
    select concat_ws(
        ',',
        (select count(*) from deals),
        (select count(*) from touchpoints),
        (select count(*) from accounts),
        (select count(*) from contacts),
        (select count(*) from leads),
        (select count(*) from campaigns)
    ) as fingerprint
)

select * from final
