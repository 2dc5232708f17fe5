-- Question: which review meetings are saved, how was each agenda chosen, and
-- how far has each got (deals on the agenda, deals with a verdict, notes)?
-- Parameters: none.
with

agenda as (
    select review_id, count(*) as deals
    from review_deals
    group by review_id
),

notes as (
    select
        n.review_id,
        count(*) as notes,
        count(distinct n.deal_id) as deals_with_verdict,
        max(n.created_at) as last_note_at
    from retro_notes as n
    -- only notes on deals that are on the review's agenda
    join review_deals as rd on rd.review_id = n.review_id and rd.deal_id = n.deal_id
    group by n.review_id
),

final as (
    select
        r.review_id,
        r.name,
        r.period_from,
        r.period_to,
        r.model,
        r.created_at,
        s.selection,
        s.largest_n,
        s.segment,
        s.region,
        s.owner,
        s.lookback_days,
        s.scope,
        coalesce(a.deals, 0) as deals,
        coalesce(n.deals_with_verdict, 0) as deals_with_verdict,
        coalesce(n.notes, 0) as notes,
        n.last_note_at
    from reviews as r
    left join review_settings as s on s.review_id = r.review_id
    left join agenda as a on a.review_id = r.review_id
    left join notes as n on n.review_id = r.review_id
)

select * from final
order by created_at desc, name
