-- Build: the derived tables that every default-parameter model and page
-- aggregates from (closedloop/derived.py; docs/performance.md). Run inside the
-- import's or the sample's transaction, statement by statement, after the data
-- changed. They hold, for the default matching (lookback $lookback_days days,
-- scope account), each deal's touches with their journey positions, in narrow
-- integer columns, so no model re-joins 10M touchpoints to deals or sorts them
-- by text ids.
-- Parameters: $lookback_days, $half_life_days (the default half-life whose
--   time-decay credit is stored), $now (naive UTC "now": open deals' touches
--   count up to it), $fingerprint (queries/derived_fingerprint.sql's value),
--   $build (a digest of this file: tables of another version are not used).

-- Every key of every dimension with a small integer code (1, 2, ... in key
-- order; a missing campaign or asset is a key too). Codes pack into integers:
-- 8 bits a step for Markov states, one bit each for the sets of Shapley and lift.
create or replace table cl_key as
with keys as (
    select distinct 'channel' as dimension, channel as raw, channel as key from touchpoints
    union all
    select distinct 'touchpoint_type', touchpoint_type, touchpoint_type from touchpoints
    union all
    select distinct 'team', team, team from touchpoints
    union all
    select distinct 'asset', asset, coalesce(asset, '(no asset)') from touchpoints
),
campaign_keys as (
    select 'campaign' as dimension, t.campaign_id as raw, coalesce(c.name, t.campaign_id, '(no campaign)') as key
    from (select distinct campaign_id from touchpoints) as t
    left join campaigns as c on c.campaign_id = t.campaign_id
),
final as (
    select * from keys
    union all
    select * from campaign_keys
)
select
    dimension,
    cast(row_number() over (partition by dimension order by raw nulls first) as integer) as code,
    raw,
    key
from final;

-- One row per deal: an integer deal_idx, what the filters and measures need,
-- and the earliest lead or contact creation of its account (LC's anchor).
create or replace temp table cl_deal_base as
with first_lead as (
    select account_id, min(created_at) as lead_created_at
    from (
        select account_id, created_at from contacts
        union all
        select account_id, created_at from leads
    )
    where account_id is not null
    group by account_id
)
select
    cast(row_number() over (order by d.deal_id) as integer) as deal_idx,
    d.deal_id,
    d.account_id,
    d.created_at,
    d.closed_at,
    d.outcome,
    coalesce(d.amount, 0) as amount_usd,
    d.owner,
    a.segment,
    a.region,
    f.lead_created_at
from deals as d
left join accounts as a on a.account_id = d.account_id
left join first_lead as f on f.account_id = d.account_id;

-- Every deal's touches, numbered in journey order (occurred_at, then touchpoint_id), with
-- the positions of queries/macros.sql: rn, n, n_lc, n_oc.
create or replace table cl_touch as
with codes as (
    select
        t.touchpoint_id,
        t.account_id,
        t.occurred_at,
        cast(ch.code as smallint) as channel_code,
        cast(ty.code as smallint) as type_code,
        cast(tm.code as smallint) as team_code,
        ca.code as campaign_code,
        as_.code as asset_code
    from touchpoints as t
    join cl_key as ch on ch.dimension = 'channel' and ch.raw = t.channel
    join cl_key as ty on ty.dimension = 'touchpoint_type' and ty.raw = t.touchpoint_type
    join cl_key as tm on tm.dimension = 'team' and tm.raw = t.team
    join cl_key as ca on ca.dimension = 'campaign' and ca.raw is not distinct from t.campaign_id
    join cl_key as as_ on as_.dimension = 'asset' and as_.raw is not distinct from t.asset
),
joined as (
    select
        d.deal_idx,
        d.created_at,
        d.lead_created_at,
        c.*
    from cl_deal_base as d
    join codes as c on c.account_id = d.account_id
    -- the window of macros.sql's deal_touches: whole days back from creation,
    -- up to the close (open deals: up to $now)
    where c.occurred_at >= d.created_at - to_days(cast($lookback_days as integer))
      and c.occurred_at <= coalesce(d.closed_at, cast($now as timestamp))
),
positioned as (
    select
        *,
        row_number() over journey as rn,
        count(*) over whole as n,
        count(*) filter (where occurred_at <= lead_created_at) over whole as n_lc,
        count(*) filter (where occurred_at <= created_at) over whole as n_oc,
        epoch(max(occurred_at) over whole) - epoch(occurred_at) as secs_before_last,
        -- the last 4 channels up to this touch, 8 bits each, this touch lowest:
        -- the Markov state of order k is hist & (2^(8k) - 1), the one before it hist >> 8
        cast(channel_code as bigint)
            | (coalesce(cast(lag(channel_code, 1) over journey as bigint), 0) << 8)
            | (coalesce(cast(lag(channel_code, 2) over journey as bigint), 0) << 16)
            | (coalesce(cast(lag(channel_code, 3) over journey as bigint), 0) << 24)
            | (coalesce(cast(lag(channel_code, 4) over journey as bigint), 0) << 32)
            as channel_history
    from joined
    window
        journey as (partition by deal_idx order by occurred_at, touchpoint_id),
        whole as (
            partition by deal_idx order by occurred_at, touchpoint_id
            rows between unbounded preceding and unbounded following
        )
),
decayed as (
    select
        *,
        pow(2, -secs_before_last / (86400.0 * $half_life_days)) as decay_weight
    from positioned
),
final as (
    select
        deal_idx,
        cast(rn as integer) as rn,
        cast(n as integer) as n,
        cast(n_lc as integer) as n_lc,
        cast(n_oc as integer) as n_oc,
        channel_code,
        type_code,
        team_code,
        campaign_code,
        asset_code,
        secs_before_last,
        -- time decay's credit at the default half-life, normalized per deal
        decay_weight / sum(decay_weight) over (partition by deal_idx) as decay_default,
        channel_history
    from decayed
)
-- (no final sort: the window already keeps each deal's touches together, and
-- sorting 10M rows again cost more than it saved the queries)
select *
from final;

-- One row per deal with its touch count and, while a dimension has at most 63
-- keys, the set of its channels, touchpoint types and campaigns as bits (code
-- c = bit c - 1; the "no campaign" code is a bit too).
create or replace table cl_deal as
with small as (
    select
        max(code) filter (where dimension = 'channel') <= 63 as channels_fit,
        max(code) filter (where dimension = 'touchpoint_type') <= 63 as types_fit,
        max(code) filter (where dimension = 'campaign') <= 63 as campaigns_fit
    from cl_key
),
stats as (
    select
        deal_idx,
        max(n) as touches,
        bit_or(cast(1 as bigint) << (channel_code - 1)) as channel_mask,
        bit_or(cast(1 as bigint) << (type_code - 1)) as type_mask,
        bit_or(cast(1 as bigint) << (campaign_code - 1)) as campaign_mask
    from cl_touch
    group by deal_idx
),
final as (
    select
        d.deal_idx,
        d.deal_id,
        d.created_at,
        d.closed_at,
        d.outcome,
        d.amount_usd,
        d.owner,
        d.segment,
        d.region,
        coalesce(s.touches, 0) as touches,
        case when (select channels_fit from small) then coalesce(s.channel_mask, 0) end as channel_mask,
        case when (select types_fit from small) then coalesce(s.type_mask, 0) end as type_mask,
        case when (select campaigns_fit from small) then coalesce(s.campaign_mask, 0) end as campaign_mask
    from cl_deal_base as d
    left join stats as s on s.deal_idx = d.deal_idx
)
select *
from final
order by deal_idx;

drop table cl_deal_base;

-- What the tables were built for and from: closedloop.derived uses them only
-- when the parameters match and the source tables still have these row counts.
create or replace table cl_meta as
select *
from (
    values
        ('lookback_days', cast($lookback_days as varchar)),
        ('scope', 'account'),
        ('half_life_days', cast($half_life_days as varchar)),
        ('built_at', cast(cast($now as timestamp) as varchar)),
        ('latest_touch_at', (select cast(max(occurred_at) as varchar) from touchpoints)),
        ('fingerprint', $fingerprint),
        ('build', $build)
) as m(key, value);
