-- Question: on which touches (or whole deals) do marketing's and sales'
-- current verdicts differ — the review's talking points — with each team's
-- comment ('' when it left none)?
-- Parameters: $review_id (null = notes of any review and none), $deal_ids (the
--   agenda, in order).
with

notes as (
    select *
    from review_notes_of($deal_ids, $review_id)
    where verdict is not null
),

current_verdicts as (
    select deal_id, touchpoint_id, team, verdict, text
    from notes
    qualify row_number() over (
        partition by deal_id, coalesce(touchpoint_id, ''), team order by created_at desc, note_id desc
    ) = 1
),

paired as (
    select
        m.deal_id,
        m.touchpoint_id,
        m.verdict as marketing_verdict,
        coalesce(m.text, '') as marketing_comment,
        s.verdict as sales_verdict,
        coalesce(s.text, '') as sales_comment
    from current_verdicts as m
    join current_verdicts as s
        on s.deal_id = m.deal_id
        and s.touchpoint_id is not distinct from m.touchpoint_id
        and s.team = 'sales'
    where m.team = 'marketing'
      and m.verdict <> s.verdict
),

final as (
    select
        list_position(cast($deal_ids as varchar[]), p.deal_id) as position,
        p.deal_id,
        d.name as deal_name,
        p.touchpoint_id,
        cast(t.occurred_at as date) as touch_on,
        t.touchpoint_type,
        p.marketing_verdict,
        p.marketing_comment,
        p.sales_verdict,
        p.sales_comment,
        -- critical against noise is the widest gap
        (p.marketing_verdict = 'critical' and p.sales_verdict = 'noise')
            or (p.marketing_verdict = 'noise' and p.sales_verdict = 'critical') as opposite
    from paired as p
    left join deals as d on d.deal_id = p.deal_id
    left join touchpoints as t on t.touchpoint_id = p.touchpoint_id
)

select * from final
order by position, touch_on nulls first, touchpoint_id nulls first
