-- Question: which of the derived tables (queries/derived_build.sql) exist in
-- this database? Parameters: none.
with

final as (
    select table_name
    from duckdb_tables()
    where schema_name = 'main'
      and table_name in ('cl_key', 'cl_touch', 'cl_deal', 'cl_meta')
)

select * from final
