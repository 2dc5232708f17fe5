-- Question: which deals are on one review's agenda, in meeting order, and how
-- many verdicts has each team given on each of them in this review?
-- Parameters: $review_id.
with

agenda as (
    select deal_id, position
    from review_deals
    where review_id = $review_id
),

verdicts as (
    select
        deal_id,
        count(*) filter (where team = 'marketing') as marketing_notes,
        count(*) filter (where team = 'sales') as sales_notes
    from retro_notes
    where review_id = $review_id
    group by deal_id
),

final as (
    select
        a.position,
        a.deal_id,
        d.name as deal_name,
        ac.name as account_name,
        d.owner,
        d.outcome,
        d.amount as amount_usd,
        cast(d.closed_at as date) as closed_on,
        -- unknown for a deal imported without dates (docs/import.md, as_of)
        case when not coalesce(d.dates_unknown, false)
            then date_diff('day', d.created_at, d.closed_at) end as days_to_close,
        coalesce(v.marketing_notes, 0) as marketing_notes,
        coalesce(v.sales_notes, 0) as sales_notes,
        coalesce(v.marketing_notes, 0) + coalesce(v.sales_notes, 0) > 0 as has_verdict
    from agenda as a
    -- a deal deleted from the CRM since stays on the agenda, with its id only
    left join deals as d on d.deal_id = a.deal_id
    left join accounts as ac on ac.account_id = d.account_id
    left join verdicts as v on v.deal_id = a.deal_id
)

select * from final
order by position
