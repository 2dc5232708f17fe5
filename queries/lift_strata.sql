-- Win-rate lift adjusted for the account: the counts behind each key's
-- touched / not-touched table within each stratum of account segment, region
-- and deal-size band (closedloop/engine/lift_adjusted.py pools them with
-- Cochran-Mantel-Haenszel). queries/touchpoint_lift.sql has the raw counts.
-- Question answered here: for each key of the dimension and each stratum in
-- which it touched a closed deal of the period, how many of the stratum's
-- deals it touched were won and lost (queries/lift_strata_deals.sql has the
-- stratum's closed deals).
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days   touches count from created_at - lookback_days to closed_at
--   $scope           'account' or 'contact_roles'
--   $dimension       'touchpoint_type', 'channel', 'campaign' (campaign_id) or 'asset'
--   $band_edges      ascending deal amounts (USD) where a size band starts;
--                    band 0 is below the first edge, band i from edge i on
--
-- A deal without a segment or region is in the stratum '(none)' of it.

with

keys as (
    select * from lift_keys($dimension)
),

fits as (
    select coalesce(max(code), 0) <= 63 as use_bits
    from cl_key
    where dimension = $dimension
),

deals_in_scope as (
    select deal_idx, won, segment as stratum_segment, region as stratum_region, size_band
    from stratified_closed_deals($date_from, $date_to, $segment, $region, $owner, $band_edges)
),

coded as (
    select
        j.deal_idx,
        journey_code($dimension, j.channel_code, j.type_code, j.team_code, j.campaign_code, j.asset_code) as code
    from journeys($lookback_days, $scope, null) as j
    semi join deals_in_scope as d on d.deal_idx = j.deal_idx
),

-- as in touchpoint_lift.sql: each deal's keys as bits while the codes fit 63,
-- counted per distinct (set, stratum), else distinct (deal, code) pairs
masks as (
    select deal_idx, bit_or(cast(1 as bigint) << (code - 1)) as key_mask
    from coded
    where (select use_bits from fits)
    group by deal_idx
),

sets as (
    select
        m.key_mask,
        d.stratum_segment,
        d.stratum_region,
        d.size_band,
        count(*) filter (where d.won) as won,
        count(*) filter (where not d.won) as lost
    from masks as m
    join deals_in_scope as d on d.deal_idx = m.deal_idx
    group by all
),

pairs as (
    select distinct deal_idx, code
    from coded
    where not (select use_bits from fits)
),

-- won and lost deals per code and stratum: each set's codes, and each pair's deal
code_counts as (
    select
        unnest(list_filter(range(1, 64), lambda x: (key_mask >> (x - 1)) & 1 = 1)) as code,
        stratum_segment,
        stratum_region,
        size_band,
        won,
        lost
    from sets
    union all
    select p.code, d.stratum_segment, d.stratum_region, d.size_band, cast(d.won as bigint), cast(not d.won as bigint)
    from pairs as p
    join deals_in_scope as d on d.deal_idx = p.deal_idx
),

touched as (
    select
        k.key,
        c.stratum_segment,
        c.stratum_region,
        c.size_band,
        sum(c.won) as touched_won,
        sum(c.lost) as touched_lost
    from code_counts as c
    join keys as k on k.code = c.code
    group by all
),

final as (
    select
        t.key,
        coalesce(c.name, t.key) as label,
        t.stratum_segment as segment,
        t.stratum_region as region,
        t.size_band,
        cast(t.touched_won as bigint) as touched_won,
        cast(t.touched_lost as bigint) as touched_lost
    from touched as t
    left join campaigns as c on $dimension = 'campaign' and c.campaign_id = t.key
)

select *
from final
order by key, segment, region, size_band
