-- Question: which deals closed before they were created (impossible dates, often a
-- close date and a created date that came from different exports or imports)?
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

impossible as (
    select
        deal_id,
        name,
        account_id,
        outcome,
        created_at,
        closed_at,
        date_diff('day', closed_at, created_at) as days_before_created
    from deals
    where closed_at < created_at
),

final as (
    select *, count(*) over () as total
    from impossible
    order by days_before_created desc, deal_id
    limit $sample_size
)

select * from final;
