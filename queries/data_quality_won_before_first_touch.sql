-- Question: which won deals closed before the first touch of their account, so that
-- no touch counts for them although the account has touches (a close date, or
-- touches, dated wrong)?
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

first_touches as (
    select account_id, min(occurred_at) as first_touch_at, count(*) as touches
    from touchpoints
    group by account_id
),

early as (
    select
        d.deal_id,
        d.name,
        d.account_id,
        d.created_at,
        d.closed_at,
        f.first_touch_at,
        f.touches as account_touches,
        date_diff('day', d.closed_at, f.first_touch_at) as days_before_first_touch
    from deals as d
    join first_touches as f on f.account_id = d.account_id
    where d.outcome = 'won'
      and d.closed_at < f.first_touch_at
),

final as (
    select *, count(*) over () as total
    from early
    order by days_before_first_touch desc, deal_id
    limit $sample_size
)

select * from final;
