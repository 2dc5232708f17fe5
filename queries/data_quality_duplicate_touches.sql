-- Question: which touches look like duplicates: the same account, contact, type,
-- campaign and asset on the same day under different ids (often the same event
-- exported by two tools)?
-- Parameters: $sample_size (groups returned; `total` counts the extra touches in all groups).
with

groups as (
    select
        account_id,
        contact_id,
        touchpoint_type,
        campaign_id,
        asset,
        cast(occurred_at as date) as day,
        count(*) as touches,
        string_agg(touchpoint_id, ', ' order by touchpoint_id) as touchpoint_ids
    from touchpoints
    group by all
    having count(*) > 1
),

final as (
    select *, sum(touches - 1) over () as total
    from groups
    order by touches desc, day, account_id
    limit $sample_size
)

select * from final;
