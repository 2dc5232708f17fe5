-- Question: which rows did the most recent imports quarantine, and why?
-- Parameters: $limit (how many rejected problems to list).
with

rejects as (
    select * from import_rejects
),

final as (
    select
        import_id,
        file,
        row_number,
        target_table,
        column_name,
        value,
        problem,
        fix
    from rejects
)

select * from final
order by import_id desc, file, row_number
limit $limit
