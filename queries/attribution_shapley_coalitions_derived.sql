-- Question: the same as attribution_shapley_coalitions.sql (closed deals won
-- and lost per set of keys that touched them), answered from the derived
-- tables for the default matching, each set as bits: code c (cl_key) is bit
-- c - 1; 0 is the empty set. closedloop.attribution.api turns the bits back
-- into sorted lists of keys. By channel, touchpoint type and campaign the
-- sets are cl_deal's stored masks; other keys are gathered from cl_touch (at
-- most 63 codes, else the api uses the source tables).
-- Parameters: $by, $date_from, $date_to, $segment, $region, $owner.
-- Columns: key_mask, wins, losses, won_revenue_usd.
with

closed as (
    select deal_idx, outcome = 'won' as won, amount_usd, channel_mask, type_mask, campaign_mask
    from derived_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

gathered as (
    select
        t.deal_idx,
        bit_or(
            cast(1 as bigint) << (
                case $by
                    when 'team' then t.team_code
                    when 'campaign' then t.campaign_code
                    when 'asset' then t.asset_code
                    else error('by must be one of channel, touchpoint_type, campaign, asset, team')
                end - 1
            )
        ) as key_mask
    from cl_touch as t
    join closed as c on c.deal_idx = t.deal_idx
    where $by in ('team', 'asset') or ($by = 'campaign' and c.campaign_mask is null)
    group by t.deal_idx
),

sets as (
    select
        c.won,
        c.amount_usd,
        case $by
            when 'channel' then c.channel_mask
            when 'touchpoint_type' then c.type_mask
            when 'campaign' then coalesce(c.campaign_mask, g.key_mask, 0)
            else coalesce(g.key_mask, 0)
        end as key_mask
    from closed as c
    left join gathered as g on g.deal_idx = c.deal_idx
),

final as (
    select
        key_mask,
        count(*) filter (where won) as wins,
        count(*) filter (where not won) as losses,
        coalesce(sum(amount_usd) filter (where won), 0) as won_revenue_usd
    from sets
    group by key_mask
)

select
    key_mask,
    cast(wins as bigint) as wins,
    cast(losses as bigint) as losses,
    cast(won_revenue_usd as double) as won_revenue_usd
from final
order by key_mask
