-- Question: which deals have no account, so that no touchpoint can ever attach to
-- them (common for early-stage deals in CRM exports)?
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

orphans as (
    select deal_id, name, owner, stage, outcome, created_at, amount
    from deals
    where account_id is null
),

final as (
    select *, count(*) over () as total
    from orphans
    order by outcome, deal_id
    limit $sample_size
)

select * from final;
