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

-- Which touchpoints belong to which deal (DESIGN.md): touches in
-- [created_at - lookback, closed_at], open deals up to now. Touches after the
-- close never count. Scope 'account' takes every touch of the deal's account;
-- 'contact_roles' only touches of the deal's contacts.
-- deal_touches_of: for a given set of deals only (p_deal_ids, a list of deal
-- ids, e.g. (select list(deal_id) from closed)), with the deal's
-- deal_created_at: the optimizer can't push a caller's "deal_id in (...)"
-- through the union, so a quarter's deals would pay for joining every deal
-- (11M rows at 1M deals).
create or replace temp macro deal_touches_of(p_deal_ids, p_lookback_days, p_scope) as table
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
    -- the deal's creation, which callers would otherwise join the deals again for
    created_at as deal_created_at
from candidates
-- the lookback is counted in whole days back from the deal's creation
where occurred_at >= created_at - to_days(cast(p_lookback_days as integer))
  -- timestamps are naive UTC: "now" must be too. current_timestamp is a
  -- TIMESTAMPTZ, which would cast every row through the session's time zone
  -- (slow, and hours off outside UTC)
  and occurred_at <= coalesce(closed_at, timezone('UTC', current_timestamp));

-- deal_touches: every deal's touches.
create or replace temp macro deal_touches(p_lookback_days, p_scope) as table
select * exclude (deal_created_at)
from deal_touches_of((select list(deal_id) from deals), p_lookback_days, p_scope);

-- Attribution (closedloop/attribution, docs/attribution.md) -------------------
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

-- Every touch of every deal with its positions and its credit under each
-- rule-based model of DESIGN.md (columns named after the models). Deals
-- without touches have no row here; queries add their "No touchpoint" row.
-- p_custom_weights: relative weights [FT, LC, OC, CL, middle] of the custom
-- model; p_multiplier_types / p_multiplier_values: its per-touchpoint-type
-- multipliers (type missing = 1).
create or replace temp macro attribution_touch_credit(
    p_lookback_days, p_scope, p_half_life_days, p_custom_weights, p_multiplier_types, p_multiplier_values
) as table
with
-- the earliest lead or contact creation that LC looks back from: of the
-- deal's account (scope account) or of the deal's contacts (contact_roles)
account_first_lead as (
    select account_id, min(created_at) as lead_created_at
    from (
        select account_id, created_at from contacts
        union all
        select account_id, created_at from leads
    )
    where account_id is not null
    group by account_id
),
contact_first_lead as (
    select contact_id, min(created_at) as lead_created_at
    from (
        select contact_id, created_at from contacts
        union all
        select contact_id, created_at from leads
    )
    where contact_id is not null
    group by contact_id
),
lead_creation as (
    select d.deal_id, a.lead_created_at
    from deals as d
    join account_first_lead as a on a.account_id = d.account_id
    where p_scope = 'account'
    union all
    select dc.deal_id, min(c.lead_created_at) as lead_created_at
    from deal_contacts as dc
    join contact_first_lead as c on c.contact_id = dc.contact_id
    where p_scope = 'contact_roles'
    group by dc.deal_id
),
positioned as (
    select
        t.*,
        d.closed_at,
        l.lead_created_at,
        cast(row_number() over journey as integer) as rn,
        cast(count(*) over journey_all as integer) as n,
        cast(count(*) filter (where t.occurred_at <= l.lead_created_at) over journey_all as integer) as n_lc,
        cast(count(*) filter (where t.occurred_at <= d.created_at) over journey_all as integer) as n_oc,
        max(t.occurred_at) over journey_all as last_at
    from deal_touches(p_lookback_days, p_scope) as t
    join deals as d on d.deal_id = t.deal_id
    left join lead_creation as l on l.deal_id = t.deal_id
    -- one ordering for every window, so the engine sorts once
    window
        journey as (partition by t.deal_id order by t.occurred_at, t.touchpoint_id),
        journey_all as (
            partition by t.deal_id order by t.occurred_at, t.touchpoint_id
            rows between unbounded preceding and unbounded following
        )
),
multipliers as (
    select unnest(p_multiplier_types) as touchpoint_type, unnest(p_multiplier_values) as multiplier
),
weighted as (
    select
        p.*,
        -- measured from the deal's last touch: normalized per deal this equals
        -- measuring from the close, and it can never underflow to 0
        pow(2, (epoch(p.occurred_at) - epoch(p.last_at)) / (86400.0 * p_half_life_days)) as decay_weight,
        -- middle touches per set of weighted positions, shared by the models
        -- with the same set: (FT), (CL), (FT, LC), (FT, LC, OC), all four, (FT, CL)
        attribution_middle_count(1, 0, 0, 0, p.n, p.n_lc, p.n_oc) as mid_f,
        attribution_middle_count(0, 0, 0, 1, p.n, p.n_lc, p.n_oc) as mid_c,
        attribution_middle_count(1, 1, 0, 0, p.n, p.n_lc, p.n_oc) as mid_fl,
        attribution_middle_count(1, 1, 1, 0, p.n, p.n_lc, p.n_oc) as mid_flo,
        attribution_middle_count(1, 1, 1, 1, p.n, p.n_lc, p.n_oc) as mid_floc,
        attribution_middle_count(1, 0, 0, 1, p.n, p.n_lc, p.n_oc) as mid_fc,
        attribution_position_credit(
            p_custom_weights[1], p_custom_weights[2], p_custom_weights[3], p_custom_weights[4],
            p_custom_weights[5], p.rn, p.n, p.n_lc, p.n_oc,
            attribution_middle_count(
                p_custom_weights[1], p_custom_weights[2], p_custom_weights[3], p_custom_weights[4],
                p.n, p.n_lc, p.n_oc
            )
        ) as custom_base,
        coalesce(m.multiplier, 1.0) as multiplier
    from positioned as p
    left join multipliers as m on m.touchpoint_type = p.touchpoint_type
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
    rn as touch_number,
    n as touches,
    concat_ws(
        '+',
        case when rn = 1 then 'FT' end,
        case when rn = n_lc then 'LC' end,
        case when rn = n_oc then 'OC' end,
        case when rn = n then 'CL' end
    ) as positions,
    -- open deals count from their last touch rather than from "now", so a
    -- receipt does not change from one day to the next
    (epoch(coalesce(closed_at, last_at)) - epoch(occurred_at)) / 86400.0 as days_before_close,
    attribution_position_credit(1, 0, 0, 0, 0, rn, n, n_lc, n_oc, mid_f) as first_touch,
    attribution_position_credit(0, 0, 0, 1, 0, rn, n, n_lc, n_oc, mid_c) as last_touch,
    attribution_position_credit(0, 0, 0, 0, 1, rn, n, n_lc, n_oc, n) as linear,
    attribution_position_credit(40, 40, 0, 0, 20, rn, n, n_lc, n_oc, mid_fl) as u_shaped,
    attribution_position_credit(30, 30, 30, 0, 10, rn, n, n_lc, n_oc, mid_flo) as w_shaped,
    attribution_position_credit(225, 225, 225, 225, 100, rn, n, n_lc, n_oc, mid_floc) as full_path,
    attribution_position_credit(40, 0, 0, 40, 20, rn, n, n_lc, n_oc, mid_fc) as position_40_20_40,
    attribution_position_credit(20, 0, 0, 60, 20, rn, n, n_lc, n_oc, mid_fc) as j_shaped,
    attribution_position_credit(60, 0, 0, 20, 20, rn, n, n_lc, n_oc, mid_fc) as inverse_j,
    decay_weight / sum(decay_weight) over deal as time_decay,
    case
        when sum(custom_base * multiplier) over deal > 0
            then custom_base * multiplier / sum(custom_base * multiplier) over deal
        -- every weighted touch has multiplier 0: keep the position weights
        else custom_base
    end as custom
from weighted
window deal as (partition by deal_id);

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

-- Derived tables (queries/derived_build.sql) ----------------------------------
-- The period's closed deals from cl_deal, narrowed by the common filters:
-- closed_at in [p_date_from, p_date_to] (inclusive dates, null = open-ended).
create or replace temp macro derived_closed_deals(p_date_from, p_date_to, p_segment, p_region, p_owner) as table
select *
from cl_deal
where outcome in ('won', 'lost')
  and (cast(p_date_from as date) is null or closed_at >= cast(p_date_from as date))
  and (cast(p_date_to as date) is null or closed_at < cast(p_date_to as date) + interval 1 day)
  and (p_segment is null or segment = p_segment)
  and (p_region is null or region = p_region)
  and (p_owner is null or owner = p_owner);
