-- Shared building blocks, loaded as temporary macros on every cursor before a
-- query runs (closedloop.db.run). Parameters are prefixed p_ so they never
-- shadow a column name.

-- Deals with their account's attributes, narrowed by the dashboard's common
-- filters; a null filter means "all".
create or replace temp macro filtered_deals(p_segment, p_region, p_owner) as table
select
    d.deal_id,
    d.account_id,
    d.name,
    d.owner,
    d.created_at,
    d.closed_at,
    d.stage,
    d.outcome,
    d.amount,
    a.name as account_name,
    a.industry,
    a.segment,
    a.region,
    coalesce(d.dates_unknown, false) as dates_unknown,
    -- unknown for a deal imported without dates (its dates are the mapping's as_of stand-in)
    case when not coalesce(d.dates_unknown, false)
        then date_diff('day', d.created_at, d.closed_at) end as days_to_close
from deals as d
left join accounts as a on a.account_id = d.account_id
where (p_segment is null or a.segment = p_segment)
  and (p_region is null or a.region = p_region)
  and (p_owner is null or d.owner = p_owner);

-- filtered_deals() closed (won or lost) in the period: on p_date_from, p_date_to or between them.
create or replace temp macro filtered_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner) as table
select *
from filtered_deals(p_segment, p_region, p_owner)
where outcome in ('won', 'lost')
  and closed_at >= p_date_from
  and closed_at < cast(p_date_to as date) + interval 1 day;

-- Which touchpoints belong to which deal (DESIGN.md), the one definition of
-- the window: touches in [created_at - lookback, closed_at], open deals up to
-- p_now. Touches after the close never count. Scope 'account' takes every
-- touch of the deal's account; 'contact_roles' only touches of the deal's
-- contacts. The journey tables (queries/derived_build.sql) store every touch
-- of this window at the longest lookback (MAX_LOOKBACK_DAYS, 730 days) with
-- touch_lookback_days, so any shorter lookback is a filter on them.
-- deal_touches_at: for a given set of deals only (p_deal_ids, a list of deal
-- ids, e.g. (select list(deal_id) from closed)), with the deal's
-- deal_created_at: the optimizer can't push a caller's "deal_id in (...)"
-- through the union, so a quarter's deals would pay for joining every deal
-- (11M rows at 1M deals).
create or replace temp macro deal_touches_at(p_deal_ids, p_lookback_days, p_scope, p_now) as table
with picked as (
    select deal_id, account_id, created_at, closed_at
    from deals
    where deal_id in (select unnest(p_deal_ids))
),
candidates as (
    select d.deal_id, d.created_at, d.closed_at, t.*
    from picked as d
    join touchpoints as t on t.account_id = d.account_id
    where p_scope = 'account'
    union all
    select d.deal_id, d.created_at, d.closed_at, t.*
    from deal_contacts as dc
    join picked as d on d.deal_id = dc.deal_id
    join touchpoints as t on t.contact_id = dc.contact_id
    where p_scope = 'contact_roles'
)
select
    deal_id,
    touchpoint_id,
    occurred_at,
    account_id,
    contact_id,
    team,
    channel,
    touchpoint_type,
    campaign_id,
    asset,
    -- the deal's creation and close, which callers would otherwise join the deals again for
    created_at as deal_created_at,
    closed_at as deal_closed_at
from candidates
where touch_in_window(occurred_at, created_at, closed_at, p_lookback_days, p_now);

-- Whether a touch at occurred_at is in the window of a deal created at
-- created_at and closed at closed_at (null: open, up to p_now): the lookback is
-- counted in whole days back from the deal's creation; a touch after the close
-- never counts. The one definition of the window (deal_touches_at, journey_rows).
create or replace temp macro touch_in_window(occurred_at, created_at, closed_at, p_lookback_days, p_now) as
    occurred_at >= created_at - to_days(cast(p_lookback_days as integer))
    and occurred_at <= coalesce(closed_at, p_now);

-- The shortest lookback (whole days) whose window holds a touch at
-- occurred_at: occurred_at >= created_at - L days <=> L >= this. Exact
-- microseconds, not epoch(): Spark's epoch (unix_timestamp) drops fractions.
create or replace temp macro touch_lookback_days(occurred_at, created_at) as
    cast(greatest(0, ceil(date_diff('microsecond', occurred_at, created_at) / 86400000000.0)) as integer);

-- "now" for open deals' windows: timestamps are naive UTC, so "now" must be
-- too. current_timestamp is a TIMESTAMPTZ, which would cast every row through
-- the session's time zone (slow, and hours off outside UTC)
-- The longest lookback the journey tables serve (closedloop.engine.journey_tables.MAX_LOOKBACK_DAYS).
create or replace temp macro max_lookback_days() as 730;

create or replace temp macro utc_now() as timezone('UTC', current_timestamp);

create or replace temp macro deal_touches_of(p_deal_ids, p_lookback_days, p_scope) as table
select * exclude (deal_closed_at)
from deal_touches_at(p_deal_ids, p_lookback_days, p_scope, utc_now());

-- deal_touches: every deal's touches (for checks by hand; the engine reads journeys()).
create or replace temp macro deal_touches(p_lookback_days, p_scope) as table
select * exclude (deal_created_at)
from deal_touches_of((select list(deal_id) from deals), p_lookback_days, p_scope);

-- A code's bit in a set of codes (codes above 63 have none: queries read the
-- sets only while every code of the dimension fits).
create or replace temp macro journey_bit(code) as
    case when code between 1 and 63 then cast(1 as bigint) << (code - 1) else 0 end;

-- The half-life of cl_touch.decay_share (closedloop.attribution.models.DEFAULT_HALF_LIFE_DAYS).
create or replace temp macro stored_half_life_days() as 7.0;

-- Journeys (queries/derived_build.sql stores cl_touch, cl_deal, cl_key) ------
-- Every question of the engine reads a deal's journey from here, for any
-- lookback 0..730 days and either scope. cl_touch holds each deal's touches
-- of the 730-day window numbered in journey order (occurred_at, then
-- touchpoint_id): ord, and n / n_lc / n_oc (touches of the deal, touches at
-- or before the earliest lead or contact creation, touches at or before the
-- deal's creation). A shorter lookback's window is a suffix of that order, so
-- with k = the deal's touches older than the lookback, the positions are
-- rn = ord - k, n - k, max(0, n_lc - k), max(0, n_oc - k). Most deals have
-- no touch older than the lookback (first_lb <= L: k = 0), and their touches
-- are read as stored; only the deals with older touches count them (one
-- grouped pass over the few older touches) and join. secs_before_last is
-- measured from the deal's last touch, which every non-empty window holds.
-- p_half_life_days: also each touch's time-decay credit, 2^(-days before the
-- deal's last touch / half-life) normalized over the window (null: none). At
-- stored_half_life_days() it comes from the stored share of the whole
-- journey, renormalized over the window (share / (1 - the older touches'
-- shares)); at another half-life every deal's window total is summed.
create or replace temp macro journey_decay_stored(p_half_life_days) as
    p_half_life_days is null or p_half_life_days = stored_half_life_days();

create or replace temp macro journeys(p_lookback_days, p_scope, p_half_life_days) as table
with older as (
    select
        deal_idx,
        cast(count(*) filter (where lb_days > cast(p_lookback_days as integer)) as integer) as k,
        sum(decay_share) filter (where lb_days > cast(p_lookback_days as integer)) as older_share,
        sum(pow(2, -secs_before_last / (86400.0 * p_half_life_days)))
            filter (where lb_days <= cast(p_lookback_days as integer)) as decay_total
    from cl_touch
    where scope = p_scope
      and (lb_days > cast(p_lookback_days as integer) or not journey_decay_stored(p_half_life_days))
    group by deal_idx
),
-- every touch of the deal inside the window: as stored
whole as (
    select
        deal_idx,
        touchpoint_id,
        channel_code,
        type_code,
        team_code,
        campaign_code,
        asset_code,
        ord as rn,
        n,
        n_lc,
        n_oc,
        secs_before_last,
        case when p_half_life_days is not null then decay_share end as decay,
        channel_history
    from cl_touch
    where scope = p_scope
      and first_lb <= cast(p_lookback_days as integer)
      and journey_decay_stored(p_half_life_days)
),
-- older touches left out: positions moved by k
cut as (
    select
        s.deal_idx,
        s.touchpoint_id,
        s.channel_code,
        s.type_code,
        s.team_code,
        s.campaign_code,
        s.asset_code,
        s.ord - o.k as rn,
        s.n - o.k as n,
        greatest(0, s.n_lc - o.k) as n_lc,
        greatest(0, s.n_oc - o.k) as n_oc,
        s.secs_before_last,
        case
            when p_half_life_days is null then null
            when journey_decay_stored(p_half_life_days) then s.decay_share / (1 - coalesce(o.older_share, 0))
            else pow(2, -s.secs_before_last / (86400.0 * p_half_life_days)) / o.decay_total
        end as decay,
        s.channel_history
    from cl_touch as s
    join older as o on o.deal_idx = s.deal_idx
    where s.scope = p_scope
      and s.lb_days <= cast(p_lookback_days as integer)
      and (s.first_lb > cast(p_lookback_days as integer) or not journey_decay_stored(p_half_life_days))
)
select * from whole
union all
select * from cut;

-- The stored touches inside the window of lookback p_lookback_days (no
-- positions: journeys() gives those).
create or replace temp macro journey_window(p_lookback_days, p_scope) as table
select *
from cl_touch
where scope = p_scope
  and lb_days <= cast(p_lookback_days as integer);

-- The deals whose window holds any touch: those whose last touch (ord = n,
-- which every non-empty window holds) is in it; no join.
create or replace temp macro journey_touched(p_lookback_days, p_scope) as table
select deal_idx
from cl_touch
where scope = p_scope
  and ord = n
  and lb_days <= cast(p_lookback_days as integer);

-- What queries/derived_build.sql stores (and what the engine reads in its
-- place, as temporary views, while the stored tables are missing or stale:
-- closedloop/engine/journey_tables.py). journey_key_rows: every key of every dimension with
-- a small integer code (a missing campaign or asset is a key too); codes pack
-- into integers: 8 bits a step for Markov states, one bit each for sets.
create or replace temp macro journey_key_rows() as table
with keys as (
    select distinct 'channel' as dimension, channel as raw from touchpoints
    union all
    select distinct 'touchpoint_type', touchpoint_type from touchpoints
    union all
    select distinct 'team', team from touchpoints
    union all
    select distinct 'campaign', campaign_id from touchpoints
    union all
    select distinct 'asset', asset from touchpoints
)
select
    dimension,
    cast(row_number() over (partition by dimension order by raw nulls first) as integer) as code,
    raw
from keys;

-- journey_deal_rows: one row per deal with an integer deal_idx and what the
-- filters and measures need, and the anchor of each scope's LC position (the
-- earliest lead or contact creation of the deal's account, and of the contacts
-- holding a role on it: null when none). The anchors are computed here, once
-- for every deal, rather than in each slice of journey_rows: grouping the
-- contacts and leads there took 0.7 s of a 500k-deal slice at 1M deals (about
-- 2.6 s of the 1M import's four slices).
create or replace temp macro journey_deal_rows() as table
-- (each source read where it is used: a shared CTE of the 6M contacts and leads was
-- materialized, 0.7 s)
with account_first_lead as (
    select account_id, min(created_at) as lead_created_at
    from (
        select account_id, created_at from contacts
        union all
        select account_id, created_at from leads
    )
    where account_id is not null
    group by account_id
),
contacts_first_lead as (
    select dc.deal_id, min(l.created_at) as lead_created_at
    from deal_contacts as dc
    join (
        select contact_id, created_at from contacts
        union all
        select contact_id, created_at from leads
    ) as l on l.contact_id = dc.contact_id
    group by dc.deal_id
)
select
    cast(row_number() over (order by d.deal_id) as integer) as deal_idx,
    d.deal_id,
    d.created_at,
    d.closed_at,
    d.outcome,
    coalesce(d.amount, 0) as amount_usd,
    d.owner,
    a.segment,
    a.region,
    fa.lead_created_at as account_lead_created_at,
    fc.lead_created_at as contacts_lead_created_at
from deals as d
left join accounts as a on a.account_id = d.account_id
left join account_first_lead as fa on fa.account_id = d.account_id
left join contacts_first_lead as fc on fc.deal_id = d.deal_id;

-- journey_rows: every deal's touches in the window of the longest lookback
-- (max_lookback_days()) for scope p_scope, numbered in journey order
-- (occurred_at, then touchpoint_id): the one definition of the order and of
-- the positions (see journeys()). LC's anchor is the earliest lead or contact
-- creation of the deal's account (scope account) or of its contacts
-- (contact_roles). Besides the positions each row carries what lets a query
-- find the window of any lookback L without grouping the deal's touches:
-- lb_days (the touch is in the window iff lb_days <= L) and first_lb (the deal's
-- first touch's: the whole journey is inside the window iff first_lb <= L); decay_share (the touch's
-- time-decay credit over the whole journey at stored_half_life_days());
-- and channel_history (the last five channel codes up to this touch, 8 bits
-- each, this touch lowest: Markov states, masked to the window). p_deal_idxs: only
-- these deals (a list of deal_idx; null: every deal), so a build can go a
-- slice of deals at a time, and an import that adds touches can rebuild only
-- the deals they touch.
create or replace temp macro journey_rows(p_scope, p_now, p_deal_idxs) as table
-- the slice's deals, each with its dates and its scope's LC anchor (cl_deal) carried into the
-- join with its touches (touch_in_window: the same window as deal_touches_at), rather than
-- joined onto every touch after it: 2.7 -> 2.1 s a 250k-deal slice (2.8M touches) at 1M deals
with anchored as (
    select
        d.deal_idx,
        d.deal_id,
        s.account_id,
        d.created_at,
        d.closed_at,
        case p_scope
            when 'account' then d.account_lead_created_at
            when 'contact_roles' then d.contacts_lead_created_at
        end as lead_created_at
    from cl_deal as d
    join deals as s on s.deal_id = d.deal_id
    where p_deal_idxs is null or d.deal_idx in (select unnest(p_deal_idxs))
),
picked_contacts as (
    select dc.deal_id, dc.contact_id
    from deal_contacts as dc
    where p_scope = 'contact_roles'
      and dc.deal_id in (select deal_id from anchored)
),
candidates as (
    select d.deal_idx, d.created_at, d.closed_at, d.lead_created_at, t.touchpoint_id, t.occurred_at,
        t.channel, t.touchpoint_type, t.team, t.campaign_id, t.asset
    from anchored as d
    join touchpoints as t on t.account_id = d.account_id
    where p_scope = 'account'
    union all
    select d.deal_idx, d.created_at, d.closed_at, d.lead_created_at, t.touchpoint_id, t.occurred_at,
        t.channel, t.touchpoint_type, t.team, t.campaign_id, t.asset
    from picked_contacts as dc
    join anchored as d on d.deal_id = dc.deal_id
    join touchpoints as t on t.contact_id = dc.contact_id
    where p_scope = 'contact_roles'
),
touches as (
    select
        t.deal_idx,
        t.touchpoint_id,
        t.occurred_at,
        t.created_at,
        t.lead_created_at,
        touch_lookback_days(t.occurred_at, t.created_at) as lb_days,
        cast(ch.code as smallint) as channel_code,
        cast(ty.code as smallint) as type_code,
        cast(tm.code as smallint) as team_code,
        ca.code as campaign_code,
        as_.code as asset_code
    from candidates as t
    join cl_key as ch on ch.dimension = 'channel' and ch.raw = t.channel
    join cl_key as ty on ty.dimension = 'touchpoint_type' and ty.raw = t.touchpoint_type
    join cl_key as tm on tm.dimension = 'team' and tm.raw = t.team
    join cl_key as ca on ca.dimension = 'campaign' and ca.raw is not distinct from t.campaign_id
    join cl_key as as_ on as_.dimension = 'asset' and as_.raw is not distinct from t.asset
    where touch_in_window(t.occurred_at, t.created_at, t.closed_at, max_lookback_days(), p_now)
),
-- each deal's totals by one grouping rather than windows over the whole journey: the window
-- operator was 2.9 of a pass's 4 s at 100k deals, and this takes ~25% off it (profiled). The
-- first touch's lb_days is the deal's largest (lb_days never grows along the journey).
totals as (
    select
        deal_idx,
        cast(count(*) as integer) as n,
        cast(count(*) filter (where occurred_at <= lead_created_at) as integer) as n_lc,
        cast(count(*) filter (where occurred_at <= created_at) as integer) as n_oc,
        max(lb_days) as first_lb,
        max(occurred_at) as last_at,
        sum(pow(2, date_diff('microsecond', created_at, occurred_at) / (86400000000.0 * stored_half_life_days())))
            as decay_total
    from touches
    group by deal_idx
),
-- the journey order's positions and Markov histories, before the totals are joined on: the
-- window then sorts 10 columns, not 16 (a 500k-deal slice at 1M deals, 3 runs each of both
-- scopes: 21.6 -> 20.6 s)
ordered as (
    select
        deal_idx,
        touchpoint_id,
        occurred_at,
        created_at,
        lb_days,
        channel_code,
        type_code,
        team_code,
        campaign_code,
        asset_code,
        cast(row_number() over journey as integer) as ord,
        cast(channel_code as bigint)
            | (coalesce(cast(lag(channel_code, 1) over journey as bigint), 0) << 8)
            | (coalesce(cast(lag(channel_code, 2) over journey as bigint), 0) << 16)
            | (coalesce(cast(lag(channel_code, 3) over journey as bigint), 0) << 24)
            | (coalesce(cast(lag(channel_code, 4) over journey as bigint), 0) << 32)
            as channel_history
    from touches
    window journey as (partition by deal_idx order by occurred_at, touchpoint_id)
)
select
    cast(p_scope as varchar) as scope,
    deal_idx,
    touchpoint_id,
    ord,
    n,
    n_lc,
    n_oc,
    lb_days,
    first_lb,
    channel_code,
    type_code,
    team_code,
    campaign_code,
    asset_code,
    date_diff('microsecond', occurred_at, last_at) / 1000000.0 as secs_before_last,
    -- 2^(-days before the last touch / half-life) over the deal's sum: the same ratio counted
    -- from the deal's creation (no second pass for the last touch)
    pow(2, date_diff('microsecond', created_at, occurred_at) / (86400000000.0 * stored_half_life_days()))
        / decay_total as decay_share,
    channel_history
from ordered
join totals using (deal_idx);

-- The key a roll-up shows for each code of dimension p_by, read at query
-- time (a campaign renamed after the build shows its new name); campaigns
-- that share a name share a key, as attribution_key() names them.
create or replace temp macro journey_keys(p_by) as table
select
    k.code,
    k.raw,
    case p_by
        when 'campaign' then coalesce(c.name, k.raw, '(no campaign)')
        when 'asset' then coalesce(k.raw, '(no asset)')
        else k.raw
    end as key
from cl_key as k
left join campaigns as c on p_by = 'campaign' and c.campaign_id = k.raw
where k.dimension = p_by;

-- A touch's code in dimension p_by (an identifier can't be bound).
create or replace temp macro journey_code(p_by, channel_code, type_code, team_code, campaign_code, asset_code) as
    case p_by
        when 'channel' then channel_code
        when 'touchpoint_type' then type_code
        when 'team' then team_code
        when 'campaign' then campaign_code
        when 'asset' then asset_code
        else error('unknown dimension ' || p_by || ': by must be one of channel, touchpoint_type, campaign, asset, team')
    end;

-- One row per deal whose window holds a touch: the set of its window's codes
-- in dimension p_by (code c = bit c - 1, codes up to 63; larger codes add no
-- bit), by one grouped pass over the window's touches. Grouping at query time
-- (0.12 s over 10M touches at 1M deals) replaced a stored set per touch, whose
-- five window aggregates took 4 s of the 1M import's build.
create or replace temp macro journey_sets(p_by, p_lookback_days, p_scope) as table
select
    deal_idx,
    bit_or(journey_bit(journey_code(p_by, channel_code, type_code, team_code, campaign_code, asset_code)))
        as key_mask
from cl_touch
where scope = p_scope
  and lb_days <= cast(p_lookback_days as integer)
group by deal_idx;

-- Attribution (closedloop/engine/attribution, docs/attribution.md) -------------------
-- Position-based credit works from per-deal counts of one window pass over a
-- deal's touches in journey order (occurred_at, then touchpoint_id for ties):
-- rn = the touch's place (1 = FT), n = touches of the deal (so CL is touch n),
-- n_lc / n_oc = touches at or before the earliest lead/contact creation / the
-- deal's creation (so LC is touch n_lc and OC touch n_oc; 0 = missing).
-- Weights are relative, on any scale. A position whose weight is 0 is not a
-- position of the model, so its touch is a "middle" touch.

-- How many of a deal's touches hold none of the model's weighted positions.
create or replace temp macro attribution_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc) as
    n
    - cast(w_ft > 0 as integer)
    - cast(w_lc > 0 and n_lc > 0 and not (w_ft > 0 and n_lc = 1) as integer)
    - cast(w_oc > 0 and n_oc > 0 and not (w_ft > 0 and n_oc = 1) and not (w_lc > 0 and n_oc = n_lc) as integer)
    - cast(w_cl > 0 and not (w_ft > 0 and n = 1) and not (w_lc > 0 and n = n_lc)
        and not (w_oc > 0 and n = n_oc) as integer);

-- One touch's credit, given n_mid = attribution_middle_count(...) of the same
-- weights; a deal's credits add up to 1. Shares of positions held by the same
-- touch add. Slots without a touch (a missing LC or OC, no middle touch) drop
-- out of the denominator, which renormalizes the remaining slots in proportion
-- to their weights (DESIGN.md's redistribution rule). When no present slot has
-- weight (only possible with custom weights) the deal falls back to an equal
-- split so it still adds to 1.
create or replace temp macro attribution_position_credit(w_ft, w_lc, w_oc, w_cl, w_mid, rn, n, n_lc, n_oc, n_mid) as
    coalesce(
        (
            (case when rn = 1 then w_ft else 0 end)
            + (case when rn = n_lc then w_lc else 0 end)
            + (case when rn = n_oc then w_oc else 0 end)
            + (case when rn = n then w_cl else 0 end)
            + (case
                when (w_ft > 0 and rn = 1) or (w_lc > 0 and rn = n_lc)
                    or (w_oc > 0 and rn = n_oc) or (w_cl > 0 and rn = n) then 0
                else w_mid / n_mid
            end)
        ) / nullif(
            w_ft + w_cl
            + (case when n_lc > 0 then w_lc else 0 end)
            + (case when n_oc > 0 then w_oc else 0 end)
            + (case when n_mid > 0 then w_mid else 0 end),
            0
        ),
        1.0 / n
    );

-- One touch's credit under a position-based model of weights wt ([FT, LC, OC, CL, middle]).
create or replace temp macro attribution_model_credit(wt, rn, n, n_lc, n_oc) as
    attribution_position_credit(
        wt[1], wt[2], wt[3], wt[4], wt[5], rn, n, n_lc, n_oc,
        attribution_middle_count(wt[1], wt[2], wt[3], wt[4], n, n_lc, n_oc)
    );

-- The position-based models of the catalogue (closedloop/engine/attribution/models.py):
-- p_model_names, each with its relative weights p_model_weights ([FT, LC, OC, CL, middle]).
create or replace temp macro attribution_models(p_model_names, p_model_weights) as table
select
    unnest(cast(p_model_names as varchar[])) as model,
    unnest(cast(p_model_weights as double[][])) as wt;

-- The per-touchpoint-type multipliers of some models (p_multiplier_models / _types / _values, one
-- entry each): one row per entry with its type's code in cl_key (null for a type the data lacks,
-- whose model is still a multiplied one).
create or replace temp macro attribution_multipliers(p_multiplier_models, p_multiplier_types, p_multiplier_values) as table
with multipliers as (
    select
        unnest(cast(p_multiplier_models as varchar[])) as model,
        unnest(cast(p_multiplier_types as varchar[])) as touchpoint_type,
        unnest(cast(p_multiplier_values as double[])) as multiplier
)
select m.model, k.code as type_code, m.multiplier
from multipliers as m
left join cl_key as k on k.dimension = 'touchpoint_type' and k.raw = m.touchpoint_type;

-- Every touch of the journeys with its credit under each rule-based model, one
-- row per touch and model (long, so the catalogue of models is data): the
-- position-based models p_model_names with their relative weights
-- p_model_weights ([FT, LC, OC, CL, middle] each), some with per-touchpoint-
-- type multipliers (p_multiplier_models / _types / _values: a touch's position
-- share times its type's multiplier, renormalized per deal), and time_decay
-- (2^(-days before the deal's last touch / p_half_life_days), normalized per
-- deal). p_deal_idx: one deal (null = all). Deals without touches have no row.
create or replace temp macro journey_touch_credit(
    p_deal_idx, p_lookback_days, p_scope, p_half_life_days, p_model_names, p_model_weights,
    p_multiplier_models, p_multiplier_types, p_multiplier_values
) as table
with touches as (
    select *
    from journeys(p_lookback_days, p_scope, p_half_life_days)
    where p_deal_idx is null or deal_idx = p_deal_idx
),
models as (
    select * from attribution_models(p_model_names, p_model_weights)
),
type_multipliers as (
    select * from attribution_multipliers(p_multiplier_models, p_multiplier_types, p_multiplier_values)
),
positioned as (
    select
        t.deal_idx,
        t.touchpoint_id,
        m.model,
        m.model in (select model from type_multipliers) as multiplied,
        attribution_model_credit(m.wt, t.rn, t.n, t.n_lc, t.n_oc) as base,
        coalesce(x.multiplier, 1.0) as multiplier
    from touches as t
    cross join models as m
    left join type_multipliers as x on x.model = m.model and x.type_code = t.type_code
)
select
    deal_idx,
    touchpoint_id,
    model,
    case
        when not multiplied then base
        when sum(base * multiplier) over deal > 0 then base * multiplier / sum(base * multiplier) over deal
        -- every weighted touch has multiplier 0: keep the position weights
        else base
    end as credit
from positioned
window deal as (partition by model, deal_idx)
union all
select deal_idx, touchpoint_id, 'time_decay', decay
from touches;

-- The roll-up key of a touch: p_by picks the column from this fixed list (an
-- identifier can't be bound as a parameter).
create or replace temp macro attribution_key(p_by, channel, touchpoint_type, campaign_name, campaign_id, asset, team) as
    case
        when p_by = 'channel' then channel
        when p_by = 'touchpoint_type' then touchpoint_type
        when p_by = 'campaign' then coalesce(campaign_name, campaign_id, '(no campaign)')
        when p_by = 'asset' then coalesce(asset, '(no asset)')
        when p_by = 'team' then team
        else error('by must be one of channel, touchpoint_type, campaign, asset, team')
    end;

-- The closed deals (won = conversion, lost = null) that the data-driven models
-- learn from: closed_at in [p_date_from, p_date_to] (inclusive dates, null =
-- open-ended), narrowed by the common filters.
create or replace temp macro attribution_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner) as table
select deal_id, outcome = 'won' as won, coalesce(amount, 0) as amount
from filtered_deals(p_segment, p_region, p_owner)
where outcome in ('won', 'lost')
  and (cast(p_date_from as date) is null or closed_at >= cast(p_date_from as date))
  and (cast(p_date_to as date) is null or closed_at < cast(p_date_to as date) + interval 1 day);

-- The period's closed deals from cl_deal, narrowed by the common filters:
-- closed_at in [p_date_from, p_date_to] (inclusive dates, null = open-ended).
create or replace temp macro journey_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner) as table
select *
from cl_deal
where outcome in ('won', 'lost')
  and (cast(p_date_from as date) is null or closed_at >= cast(p_date_from as date))
  and (cast(p_date_to as date) is null or closed_at < cast(p_date_to as date) + interval 1 day)
  and (p_segment is null or segment = p_segment)
  and (p_region is null or region = p_region)
  and (p_owner is null or owner = p_owner);

-- The leads created in [p_date_from, p_date_to] (inclusive dates, on created_at), each with the
-- account it belongs to (a lead without an account takes its contact's: lead_account_id) and that
-- account's name, segment and region, narrowed by the common filters (the account's segment and
-- region, the lead's owner). The Handoff page's funnel, follow-up times and never-followed-up
-- leads all start from it.
create or replace temp macro leads_created(p_date_from, p_date_to, p_segment, p_region, p_owner) as table
select
    l.*,
    coalesce(l.account_id, c.account_id) as lead_account_id,
    a.name as account_name,
    a.segment,
    a.region
from leads as l
left join contacts as c on c.contact_id = l.contact_id
left join accounts as a on a.account_id = coalesce(l.account_id, c.account_id)
where l.created_at >= p_date_from
  and l.created_at < cast(p_date_to as date) + interval 1 day
  and (p_owner is null or l.owner = p_owner)
  and (p_segment is null or a.segment = p_segment)
  and (p_region is null or a.region = p_region);

-- The retro notes on the deals p_deal_ids (a list) of one review (p_review_id; null = the notes of
-- any review and of none): where the review meeting's notes, verdicts and agreement start.
create or replace temp macro review_notes_of(p_deal_ids, p_review_id) as table
select *
from retro_notes
where list_contains(cast(p_deal_ids as varchar[]), deal_id)
  and (p_review_id is null or review_id = p_review_id);

-- The positions a touch holds in its deal's journey, as the receipt shows them ('FT+LC', '' for
-- none): first touch, lead creation, opportunity creation, close (rn, n_lc, n_oc, n: journeys()).
create or replace temp macro journey_positions(rn, n_lc, n_oc, n) as
coalesce(concat_ws(
    '+',
    case when rn = 1 then 'FT' end,
    case when rn = n_lc then 'LC' end,
    case when rn = n_oc then 'OC' end,
    case when rn = n then 'CL' end
), '');

-- A closed deal's band in a path report (path_bands() here, and queries/journey_paths.sql's
-- per-deal rows, which the Journeys page counts): -1 when its window has no touch, -2 when its
-- figure is unknown (the days of a deal imported without dates), else how many of the ascending
-- p_edges are at or below p_value (band 0 runs from the report's first value to the first edge).
create or replace temp macro path_band(p_value, p_edges, p_untouched, p_unknown) as
    case
        when p_untouched then -1
        when p_unknown then -2
        else cast(len(list_filter(cast(p_edges as integer[]), lambda e: e <= p_value)) as integer)
    end;

-- The path reports (closedloop/engine/path_reports.py): the closed deals of the period (closed on
-- p_date_from, p_date_to or between them) per month of close and band of p_measure, won and lost,
-- with the won amount and the measure summed (won_measure, lost_measure). p_measure 'touches': the
-- touches of the deal's window; 'days': calendar days from its first touch to its close,
-- date_diff('day', ...), like the Journeys page. p_edges: ascending values where a band starts
-- after the first (band i from edge i on). Band -1: no touch in the window (no measure); band -2
-- (days only): the deal was imported without dates, so its days are unknown.
create or replace temp macro path_bands(
    p_measure, p_edges, p_date_from, p_date_to, p_segment, p_region, p_owner, p_lookback_days, p_scope
) as table
with closed as (
    select deal_idx, deal_id, outcome = 'won' as won, amount_usd, closed_at
    from journey_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner)
    where closed_at >= cast(p_date_from as date)
      and closed_at < cast(p_date_to as date) + interval 1 day
),
-- the deal's first touch in the window; n: its touches in the window (on every one of its rows)
first_touch as (
    select deal_idx, touchpoint_id, n
    from journeys(p_lookback_days, p_scope, null)
    where rn = 1
      and deal_idx in (select deal_idx from closed)
),
-- dates, read for days only
first_touch_at as (
    select touchpoint_id, occurred_at
    from touchpoints
    where p_measure = 'days'
      and touchpoint_id in (select touchpoint_id from first_touch)
),
undated as (
    select deal_id
    from deals
    where p_measure = 'days'
      and coalesce(dates_unknown, false)
),
measured as (
    select
        case
            when u.deal_id is not null then null
            when p_measure = 'touches' then f.n
            when p_measure = 'days' then date_diff('day', t.occurred_at, c.closed_at)
            else error('measure must be touches or days')
        end as measure,
        c.won,
        c.amount_usd,
        date_trunc('month', c.closed_at) as closed_month,
        f.deal_idx is null as untouched,
        u.deal_id is not null as undated
    from closed as c
    left join first_touch as f on f.deal_idx = c.deal_idx
    left join first_touch_at as t on t.touchpoint_id = f.touchpoint_id
    left join undated as u on u.deal_id = c.deal_id
),
banded as (
    select *, path_band(measure, p_edges, untouched, undated) as band
    from measured
)
select
    cast(closed_month as date) as closed_month,
    band,
    count(*) filter (where won) as won_deals,
    count(*) filter (where not won) as lost_deals,
    coalesce(sum(amount_usd) filter (where won), 0) as won_amount_usd,
    coalesce(sum(measure) filter (where won), 0) as won_measure,
    coalesce(sum(measure) filter (where not won), 0) as lost_measure
from banded
group by all;

-- The keys of the lift's dimension p_dimension with their codes: a touch without a campaign or
-- asset is not a campaign or asset touch.
create or replace temp macro lift_keys(p_dimension) as table
select code, raw as key
from cl_key
where dimension = p_dimension
  and raw is not null;

-- The period's closed deals in their strata for the lift adjusted for the account: won, account
-- segment and region ('(none)' where unknown) and deal-size band (band 0 below the first of
-- p_band_edges, band i from edge i on). Closed on p_date_from, p_date_to or between them.
create or replace temp macro stratified_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner, p_band_edges) as table
select
    deal_idx,
    outcome = 'won' as won,
    coalesce(segment, '(none)') as segment,
    coalesce(region, '(none)') as region,
    cast(len(list_filter(cast(p_band_edges as double[]), lambda e: e <= amount_usd)) as integer) as size_band
from journey_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner)
where closed_at >= cast(p_date_from as date)
  and closed_at < cast(p_date_to as date) + interval 1 day;

-- The channels of each deal's window in journey order (journeys()), for the deals p_deal_idxs (a
-- list of deal_idx): deal_idx, channels. rn is the journey order, so one sort of whole numbers per
-- deal (rn, then the channel's code in the low 16 bits) orders them; an ordered aggregate of the
-- channels' names (occurred_at, then touchpoint_id) took twice as long. cl_key numbers a dimension's
-- keys from 1, so names[code] names a code. Deals without a touch in the window have no row.
create or replace temp macro journey_channel_lists(p_deal_idxs, p_lookback_days, p_scope) as table
with names as (
    select list(key order by code) as names
    from journey_keys('channel')
),
ordered as (
    select
        deal_idx,
        list_transform(list_sort(list(rn * 65536 + channel_code)), lambda x: cast(x % 65536 as integer)) as codes
    from journeys(p_lookback_days, p_scope, null)
    where deal_idx in (select unnest(p_deal_idxs))
    group by deal_idx
)
select o.deal_idx, list_transform(o.codes, lambda code: n.names[code]) as channels
from ordered as o
cross join names as n;
