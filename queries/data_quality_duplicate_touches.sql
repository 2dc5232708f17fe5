-- Question: which touches look like duplicates: the same account, contact, type,
-- campaign and asset on the same day under different ids (often the same event
-- exported by two tools)?
-- Parameters: $sample_size (groups returned; `total` counts the extra touches in all groups).
with

keyed as (
    select
        touchpoint_id,
        account_id,
        contact_id,
        touchpoint_type,
        campaign_id,
        asset,
        cast(occurred_at as date) as day,
        hash(account_id, contact_id, touchpoint_type, campaign_id, asset, cast(occurred_at as date)) as h
    from touchpoints
),

-- a group of equal touches shares one hash, so only touches whose hash repeats can be in one;
-- grouping 64-bit hashes first spares grouping (and listing) every one of millions of touches
repeated as (
    select h
    from keyed
    group by h
    having count(*) > 1
),

groups as (
    select
        account_id,
        contact_id,
        touchpoint_type,
        campaign_id,
        asset,
        day,
        count(*) as touches,
        string_agg(touchpoint_id, ', ' order by touchpoint_id) as touchpoint_ids
    from keyed
    where h in (select h from repeated)
    group by account_id, contact_id, touchpoint_type, campaign_id, asset, day
    having count(*) > 1
),

final as (
    select *, sum(touches - 1) over () as total
    from groups
    order by touches desc, day, account_id
    limit $sample_size
)

select * from final;
