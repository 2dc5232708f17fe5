-- Question: how many wins, how much won revenue and how much pipeline does each
-- channel / touchpoint type / campaign / asset / team earn under every
-- rule-based attribution model (one row per key and model)?
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team);
--   $date_from, $date_to (dates, inclusive; null = open-ended): wins and won
--   revenue count deals won with closed_at in the period, pipeline counts the
--   amount of deals created in the period; $segment, $region, $owner (null = all);
--   $lookback_days (0..730), $scope (account or contact_roles);
--   $half_life_days (time_decay, always computed);
--   $model_names, $model_weights: the position-based models of the catalogue
--   (closedloop/engine/attribution/models.py), each with its relative weights
--   [FT, LC, OC, CL, middle]; $multiplier_models, $multiplier_types,
--   $multiplier_values: per-touchpoint-type multipliers of some of them (a
--   touch's credit is its position share times its type's multiplier,
--   renormalized per deal).
-- Deals without touches land in the "No touchpoint" row, so every model's
-- totals equal the CRM's wins, won revenue and pipeline.
-- A position model's credit for a touch depends only on (n, n_lc, n_oc) and
-- which positions the touch holds, so touches are summed per key and such a
-- signature first, and the models credit the ~10^5 groups instead of every
-- touch; models with multipliers are credited per touch.
with

deal_info as (
    select *
    from (
        select
            deal_idx,
            amount_usd,
            cast(
                outcome = 'won'
                and closed_at is not null
                and (cast($date_from as date) is null or closed_at >= cast($date_from as date))
                and (cast($date_to as date) is null or closed_at < cast($date_to as date) + interval 1 day)
                as integer
            ) as won,
            cast(
                created_at is not null
                and (cast($date_from as date) is null or created_at >= cast($date_from as date))
                and (cast($date_to as date) is null or created_at < cast($date_to as date) + interval 1 day)
                as integer
            ) as created
        from cl_deal
        where ($segment is null or segment = $segment)
          and ($region is null or region = $region)
          and ($owner is null or owner = $owner)
    )
    where won = 1 or created = 1
),

-- not materialized: one pass feeds the groups (the models with multipliers,
-- when there are any, read the journeys again)
weighted as not materialized (
    select
        journey_code($by, j.channel_code, j.type_code, j.team_code, j.campaign_code, j.asset_code) as code,
        j.deal_idx,
        j.type_code,
        j.rn,
        j.n,
        j.n_lc,
        j.n_oc,
        -- normalized per deal over the touches of its window
        j.decay,
        d.won,
        d.created,
        d.amount_usd
    from journeys($lookback_days, $scope, $half_life_days) as j
    join deal_info as d on d.deal_idx = j.deal_idx
),

groups as (
    select
        code,
        n,
        n_lc,
        n_oc,
        -- any touch of the group stands for all: they hold the same positions
        min(rn) as rn,
        count(*) as touches,
        sum(won) as w,
        sum(won * amount_usd) as r,
        sum(created * amount_usd) as p,
        sum(decay * won) as dw,
        sum(decay * won * amount_usd) as dr,
        sum(decay * created * amount_usd) as dp
    from weighted
    group by code, n, n_lc, n_oc, rn = 1, rn = n_lc, rn = n_oc, rn = n
),

models as (
    select * from attribution_models($model_names, $model_weights)
),

type_multipliers as (
    select * from attribution_multipliers($multiplier_models, $multiplier_types, $multiplier_values)
),

plain_credit as (
    select
        m.model,
        g.code,
        attribution_model_credit(m.wt, g.rn, g.n, g.n_lc, g.n_oc) as credit,
        g.w,
        g.r,
        g.p
    from groups as g
    cross join models as m
    where m.model not in (select model from type_multipliers)
),

multiplied as (
    select
        m.model,
        t.deal_idx,
        t.code,
        t.won,
        t.created,
        t.amount_usd,
        attribution_model_credit(m.wt, t.rn, t.n, t.n_lc, t.n_oc) as base,
        coalesce(x.multiplier, 1.0) as multiplier
    from weighted as t
    cross join models as m
    left join type_multipliers as x on x.model = m.model and x.type_code = t.type_code
    where m.model in (select model from type_multipliers)
      -- a constant: without multipliers the branch is gone before the journeys are read
      and len(cast($multiplier_models as varchar[])) > 0
),

multiplied_credit as (
    select
        model,
        code,
        case
            when sum(base * multiplier) over deal > 0 then base * multiplier / sum(base * multiplier) over deal
            -- every weighted touch has multiplier 0: keep the position weights
            else base
        end as credit,
        won as w,
        won * amount_usd as r,
        created * amount_usd as p
    from multiplied
    window deal as (partition by model, deal_idx)
),

credited as (
    select model, code, credit * w as w, credit * r as r, credit * p as p from plain_credit
    union all
    select model, code, credit * w, credit * r, credit * p from multiplied_credit
    union all
    select 'time_decay', code, dw, dr, dp from groups
),

keyed as (
    select
        c.model,
        k.key,
        sum(c.w) as attributed_wins,
        sum(c.r) as attributed_revenue_usd,
        sum(c.p) as attributed_pipeline_usd
    from credited as c
    join journey_keys($by) as k on k.code = c.code
    group by c.model, k.key
),

-- deals without touches: every model gives their whole credit to this row. Each
-- touched deal has exactly one touch with rn = 1, so the touched deals' totals
-- are the rn = 1 groups' and the untouched ones are the rest of deal_info: no
-- second pass over the journeys (an anti join of every deal cost a quarter of
-- the query's CPU at 1M deals: 3.2 s -> 2.5 s).
all_deals as (
    select
        count(*) as deals,
        sum(won) as w,
        sum(won * amount_usd) as r,
        sum(created * amount_usd) as p
    from deal_info
),

touched_deals as (
    select
        coalesce(sum(touches), 0) as deals,
        coalesce(sum(w), 0) as w,
        coalesce(sum(r), 0) as r,
        coalesce(sum(p), 0) as p
    from groups
    where rn = 1
),

untouched as (
    select
        m.model,
        'No touchpoint' as key,
        a.w - t.w as attributed_wins,
        a.r - t.r as attributed_revenue_usd,
        a.p - t.p as attributed_pipeline_usd
    from all_deals as a
    cross join touched_deals as t
    cross join (select model from models union all select 'time_decay') as m
    where a.deals > t.deals
),

final as (
    select * from keyed
    union all
    select * from untouched
)

select
    model,
    key,
    cast(attributed_wins as double) as attributed_wins,
    cast(attributed_revenue_usd as double) as attributed_revenue_usd,
    cast(attributed_pipeline_usd as double) as attributed_pipeline_usd
from final
order by model, attributed_wins desc, attributed_revenue_usd desc, key
