-- Question: for each touchpoint type, how often did each team call its touches
-- critical, helpful or noise, and on how many touches that both teams judged
-- did they agree? Only each team's current (latest) verdict on a touch counts.
-- Parameters: $review_id (null = notes of any review and none), $deal_ids.
with

notes as (
    select *
    from review_notes_of($deal_ids, $review_id)
    where touchpoint_id is not null
      and verdict is not null
),

current_verdicts as (
    select deal_id, touchpoint_id, team, verdict
    from notes
    qualify row_number() over (
        partition by deal_id, touchpoint_id, team order by created_at desc, note_id desc
    ) = 1
),

per_touch as (
    select
        v.deal_id,
        v.touchpoint_id,
        t.touchpoint_type,
        any_value(v.verdict) filter (where v.team = 'marketing') as marketing_verdict,
        any_value(v.verdict) filter (where v.team = 'sales') as sales_verdict
    from current_verdicts as v
    join touchpoints as t on t.touchpoint_id = v.touchpoint_id
    group by v.deal_id, v.touchpoint_id, t.touchpoint_type
),

final as (
    select
        touchpoint_type,
        count(marketing_verdict) as marketing_verdicts,
        count(*) filter (where marketing_verdict = 'critical') as marketing_critical,
        count(*) filter (where marketing_verdict = 'helpful') as marketing_helpful,
        count(*) filter (where marketing_verdict = 'noise') as marketing_noise,
        count(sales_verdict) as sales_verdicts,
        count(*) filter (where sales_verdict = 'critical') as sales_critical,
        count(*) filter (where sales_verdict = 'helpful') as sales_helpful,
        count(*) filter (where sales_verdict = 'noise') as sales_noise,
        count(*) filter (where marketing_verdict is not null and sales_verdict is not null)
            as touches_judged_by_both,
        count(*) filter (where marketing_verdict = sales_verdict) as touches_agreed
    from per_touch
    group by touchpoint_type
)

select * from final
order by touchpoint_type
