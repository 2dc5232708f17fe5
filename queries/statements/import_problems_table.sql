-- Statement: the columns of an import run's problems table, and no rows (into_temp names the
-- table): each problem's file and mapped source, whose rows it rejects (owner), what and where.
-- Parameters: none.
select
    cast(null as integer) as file_index,
    cast(null as integer) as source,
    cast(null as integer) as owner,
    cast(null as varchar) as severity,
    cast(null as varchar) as file,
    cast(null as bigint) as row,
    cast(null as varchar) as column_name,
    cast(null as varchar) as value,
    cast(null as varchar) as problem,
    cast(null as varchar) as fix,
    cast(null as varchar) as target_table
where false
