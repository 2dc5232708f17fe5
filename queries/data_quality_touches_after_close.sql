-- Question: which touches happened after every deal of their account had closed,
-- so that no deal will ever count them?
-- Parameters: $sample_size (rows returned; `total` counts them all).
with

accounts_deals as (
    select
        account_id,
        count(*) filter (where outcome = 'open') as open_deals,
        max(closed_at) as last_close
    from deals
    where account_id is not null
    group by account_id
),

late as (
    select
        t.touchpoint_id,
        t.occurred_at,
        t.account_id,
        t.team,
        t.touchpoint_type,
        a.last_close,
        date_diff('day', a.last_close, t.occurred_at) as days_after_close
    from touchpoints as t
    join accounts_deals as a on a.account_id = t.account_id
    where a.open_deals = 0
      and t.occurred_at > a.last_close
),

final as (
    select *, count(*) over () as total
    from late
    order by occurred_at, touchpoint_id
    limit $sample_size
)

select * from final;
