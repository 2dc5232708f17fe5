-- Question: which deals have no touchpoint in their window, read from the derived
-- tables (closedloop/derived.py) when they are current for the requested matching:
-- the same rows as data_quality_deals_without_touchpoints without joining every
-- deal to its account's touchpoints.
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

untouched as (
    select d.deal_id, d.account_id, d.name, d.outcome, d.created_at, d.closed_at, d.amount
    from deals as d
    join cl_deal as c on c.deal_id = d.deal_id
    where c.touches = 0
),

final as (
    select *, count(*) over () as total
    from untouched
    order by outcome, deal_id
    limit $sample_size
)

select * from final;
