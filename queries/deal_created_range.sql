-- Question: what dates do the deals' creations span? Feeds the period picker of
-- pages where the period is "deals created in". One row: ISO dates, or nulls
-- when there are no deals.
-- Parameters: none.
with

final as (
    select
        cast(cast(min(created_at) as date) as varchar) as created_min,
        cast(cast(max(created_at) as date) as varchar) as created_max
    from deals
)

select * from final
