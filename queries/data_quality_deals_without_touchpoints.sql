-- Question: which deals have no touchpoint in their window (they land in the
-- "No touchpoint" row of every total)?
-- Parameters: $lookback_days, $sample_size (rows returned; `total` counts them all).
with

touched as (
    select distinct deal_id
    from deal_touches($lookback_days, 'account')
),

untouched as (
    select d.deal_id, d.account_id, d.name, d.outcome, d.created_at, d.closed_at, d.amount
    from deals as d
    where d.deal_id not in (select deal_id from touched)
),

final as (
    select *, count(*) over () as total
    from untouched
    order by outcome, deal_id
    limit $sample_size
)

select * from final;
