-- Question: every note and verdict recorded on a review's deals, in agenda
-- order, each with the touch it is about, and whether it is the team's current
-- verdict on that touch (or deal) — a team's latest note replaces its earlier
-- ones in the agreement summary.
-- Parameters: $review_id (null = notes of any review and none), $deal_ids (the
--   agenda, in order: a note's position is its deal's place in this list).
with

notes as (
    select *
    from review_notes_of($deal_ids, $review_id)
),

ranked as (
    select
        *,
        row_number() over (
            partition by deal_id, coalesce(touchpoint_id, ''), team
            order by created_at desc, note_id desc
        ) = 1 as is_current
    from notes
),

final as (
    select
        n.note_id,
        n.created_at,
        n.review_id,
        list_position(cast($deal_ids as varchar[]), n.deal_id) as position,
        n.deal_id,
        d.name as deal_name,
        d.outcome,
        case when n.touchpoint_id is null then 'deal' else 'touch' end as subject,
        n.touchpoint_id,
        cast(t.occurred_at as date) as touch_on,
        t.touchpoint_type,
        t.channel,
        n.team,
        n.verdict,
        n.text,
        n.is_current
    from ranked as n
    left join deals as d on d.deal_id = n.deal_id
    left join touchpoints as t on t.touchpoint_id = n.touchpoint_id
)

select * from final
order by position, touch_on nulls first, touchpoint_id nulls first, created_at, note_id
