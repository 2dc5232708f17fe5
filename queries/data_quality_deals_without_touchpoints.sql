-- Question: which deals have no touchpoint in their window (they land in the
-- "No touchpoint" row of every total)?
-- Parameters: $lookback_days, $sample_size (rows returned; `total` counts them all).
with

touched as (
    select c.deal_id
    from journey_touched($lookback_days, 'account') as j
    join cl_deal as c on c.deal_idx = j.deal_idx
),

untouched as (
    select d.deal_id, d.account_id, d.name, d.outcome, d.created_at, d.closed_at, d.amount
    from deals as d
    anti join touched as t on t.deal_id = d.deal_id
),

final as (
    select *, count(*) over () as total
    from untouched
    order by outcome, deal_id
    limit $sample_size
)

select * from final;
