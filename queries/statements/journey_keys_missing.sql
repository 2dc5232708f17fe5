-- Statement: how many keys (channel, touchpoint type, team, campaign, asset) the touchpoints
-- numbered from $mark bring that cl_key lacks (any: the codes would change, rebuild everything).
-- Parameters: $mark (the first rowid of the import's touchpoints).
with added as (
    select * from touchpoints where rowid >= $mark
),

added_keys as (
    select 'channel' as dimension, channel as raw from added
    union select 'touchpoint_type', touchpoint_type from added
    union select 'team', team from added
    union select 'campaign', campaign_id from added
    union select 'asset', asset from added
),

final as (
    select count(*) as missing
    from added_keys as k
    anti join cl_key as c on c.dimension = k.dimension and c.raw is not distinct from k.raw
)

select missing from final
