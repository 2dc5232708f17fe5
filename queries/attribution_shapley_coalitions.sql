-- Question: for each set of keys (channels, touchpoint types, ...) that the
-- period's closed deals were touched by, how many of those deals were won and
-- lost, and how much revenue did the wins bring? (The coalitions of the
-- Shapley model; the empty set holds the closed deals without touches.)
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team);
--   $date_from, $date_to (inclusive, on closed_at; null = open-ended);
--   $segment, $region, $owner (null = all); $lookback_days, $scope.
-- Columns: channels (the set's keys, sorted), wins, losses, won_revenue_usd.
-- Each deal's set is gathered as bits while every code fits 63 (code c of
-- cl_key is bit c - 1), else as a list of codes, and named after counting,
-- on the few distinct sets.
with

key_names as (
    select list_sort(list(struct_pack(code := code, key := key))) as names, coalesce(max(code), 0) <= 63 as use_bits
    from journey_keys($by)
),

closed as (
    select deal_idx, outcome = 'won' as won, amount_usd
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
),

coded as (
    select
        j.deal_idx,
        journey_code($by, j.channel_code, j.type_code, j.team_code, j.campaign_code, j.asset_code) as code
    from journeys($lookback_days, $scope, null) as j
    semi join closed as c on c.deal_idx = j.deal_idx
),

gathered as (
    select
        deal_idx,
        bit_or(cast(1 as bigint) << (code - 1)) filter (where (select use_bits from key_names)) as key_mask,
        list_distinct(list(code) filter (where not (select use_bits from key_names))) as key_codes
    from coded
    group by deal_idx
),

counted as (
    select
        g.key_mask,
        g.key_codes,
        count(*) filter (where c.won) as wins,
        count(*) filter (where not c.won) as losses,
        coalesce(sum(c.amount_usd) filter (where c.won), 0) as won_revenue_usd
    from closed as c
    left join gathered as g on g.deal_idx = c.deal_idx
    group by all
),

named as (
    select
        list_sort(list_distinct(list_transform(
            case
                when key_mask is not null then list_filter(range(1, 64), lambda x: (key_mask >> (x - 1)) & 1 = 1)
                else coalesce(key_codes, [])
            end,
            lambda x: k.names[cast(x as bigint)].key
        ))) as channels,
        wins,
        losses,
        won_revenue_usd
    from counted
    cross join key_names as k
),

-- campaigns sharing a name are one key
final as (
    select channels, sum(wins) as wins, sum(losses) as losses, sum(won_revenue_usd) as won_revenue_usd
    from named
    group by channels
)

select
    channels,
    cast(wins as bigint) as wins,
    cast(losses as bigint) as losses,
    cast(won_revenue_usd as double) as won_revenue_usd
from final
order by array_length(channels), channels
