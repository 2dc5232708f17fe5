-- Question: which retrospective notes have the teams recorded on one deal (on
-- the deal as a whole or on one of its touches), newest first?
-- Parameters: $deal_id.
with

notes as (
    select *
    from retro_notes
    where deal_id = $deal_id
),

final as (
    select
        n.note_id,
        n.created_at,
        n.team,
        n.verdict,
        n.touchpoint_id,
        cast(t.occurred_at as date) as touch_on,
        t.touchpoint_type,
        t.channel,
        n.text,
        n.review_id
    from notes as n
    left join touchpoints as t on t.touchpoint_id = n.touchpoint_id
)

select * from final
order by created_at desc, note_id desc
