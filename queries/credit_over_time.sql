-- Question: how many wins, how much won revenue, how many opportunities and how
-- much pipeline does each channel / touchpoint type / campaign / asset / team
-- earn in each month or quarter, under every rule-based attribution model?
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team);
--   $grain ('month' or 'quarter'); $booking ('close' or 'touch': when credit is
--   booked, docs/spend.md): 'close' books a won deal's credit in the period of
--   its close and an opportunity's (pipeline) credit in the period of its
--   creation; 'touch' books every touch's share in the period the touch
--   happened (won deals, whenever they closed; opportunities, whenever created);
--   $period_from, $period_to (first days of the first and last periods, null =
--   open-ended); $segment, $region, $owner (null = all); $lookback_days
--   (0..730), $scope (account or contact_roles); $half_life_days (time_decay,
--   always computed); $model_names, $model_weights, $multiplier_models,
--   $multiplier_types, $multiplier_values: the position-based models of the
--   catalogue, as in queries/attribution_rollup.sql.
-- Credit per touch is the one of attribution_rollup.sql (summed per key,
-- period and position signature first, so models credit groups, not touches).
-- Deals without touches land in the "No touchpoint" row of their close or
-- creation period (with 'touch' booking they have no touch date: left out).
with

bounds as (
    select
        cast($period_from as date) as p_from,
        -- the day after the last period
        cast(cast($period_to as date) + case $grain
            when 'month' then interval 1 month
            when 'quarter' then interval 3 month
            else error('grain must be month or quarter') end as date) as p_end
),

deal_info as (
    select
        d.deal_idx,
        d.amount_usd,
        cast(d.outcome = 'won' and d.closed_at is not null as integer) as is_won,
        cast(d.created_at is not null as integer) as is_created,
        cast(date_trunc($grain, d.closed_at) as date) as won_period,
        cast(date_trunc($grain, d.created_at) as date) as created_period
    from cl_deal as d, bounds as b
    where ($segment is null or d.segment = $segment)
      and ($region is null or d.region = $region)
      and ($owner is null or d.owner = $owner)
      and (
          (
              -- touches happen before the close and from the lookback before the creation
              $booking = 'touch'
              and (b.p_from is null or d.closed_at is null or d.closed_at >= b.p_from)
              and (b.p_end is null or d.created_at < b.p_end + to_days(cast($lookback_days as integer)))
          )
          or (
              d.outcome = 'won'
              and (b.p_from is null or d.closed_at >= b.p_from)
              and (b.p_end is null or d.closed_at < b.p_end)
          )
          or (
              (b.p_from is null or d.created_at >= b.p_from)
              and (b.p_end is null or d.created_at < b.p_end)
          )
      )
      and ($booking in ('close', 'touch') or error('booking must be close or touch'))
),

-- touch dates, read only when credit is booked on them: each deal's last touch (ord = n, in
-- every non-empty window) is read from touchpoints, and every other touch's date is that minus
-- its secs_before_last (a tenth of the touches joined, not all of them)
last_touch as (
    select c.deal_idx, t.occurred_at as last_at
    from cl_touch as c
    join touchpoints as t on t.touchpoint_id = c.touchpoint_id
    where $booking = 'touch'
      and c.scope = $scope
      and c.ord = c.n
),

weighted as (
    select
        journey_code($by, j.channel_code, j.type_code, j.team_code, j.campaign_code, j.asset_code) as code,
        j.deal_idx,
        j.type_code,
        j.rn,
        j.n,
        j.n_lc,
        j.n_oc,
        j.decay,
        coalesce(touch_period, d.won_period) as won_period,
        coalesce(touch_period, d.created_period) as created_period,
        d.is_won,
        d.is_created,
        d.amount_usd
    from (
        select
            j.*,
            -- null unless booked on the touch
            cast(date_trunc($grain, lt.last_at - j.secs_before_last * interval 1 second) as date) as touch_period
        from journeys($lookback_days, $scope, $half_life_days) as j
        left join last_touch as lt on lt.deal_idx = j.deal_idx
    ) as j
    join deal_info as d on d.deal_idx = j.deal_idx
    cross join bounds as b
    where $booking = 'close'
       or (
           (b.p_from is null or j.touch_period >= b.p_from)
           and (b.p_end is null or j.touch_period < b.p_end)
       )
),

groups as (
    select
        code,
        won_period,
        created_period,
        n,
        n_lc,
        n_oc,
        min(rn) as rn,
        sum(is_won) as w,
        sum(is_won * amount_usd) as r,
        sum(is_created) as o,
        sum(is_created * amount_usd) as p,
        sum(decay * is_won) as dw,
        sum(decay * is_won * amount_usd) as dr,
        sum(decay * is_created) as do_,
        sum(decay * is_created * amount_usd) as dp
    from weighted
    group by code, won_period, created_period, n, n_lc, n_oc, rn = 1, rn = n_lc, rn = n_oc, rn = n
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
        g.won_period,
        g.created_period,
        attribution_model_credit(m.wt, g.rn, g.n, g.n_lc, g.n_oc) as credit,
        g.w,
        g.r,
        g.o,
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
        t.won_period,
        t.created_period,
        t.is_won,
        t.is_created,
        t.amount_usd,
        attribution_model_credit(m.wt, t.rn, t.n, t.n_lc, t.n_oc) as base,
        coalesce(x.multiplier, 1.0) as multiplier
    from weighted as t
    cross join models as m
    left join type_multipliers as x on x.model = m.model and x.type_code = t.type_code
    where m.model in (select model from type_multipliers)
),

multiplied_credit as (
    select
        model,
        code,
        won_period,
        created_period,
        case
            when sum(base * multiplier) over deal > 0 then base * multiplier / sum(base * multiplier) over deal
            else base
        end as credit,
        is_won as w,
        is_won * amount_usd as r,
        is_created as o,
        is_created * amount_usd as p
    from multiplied
    window deal as (partition by model, deal_idx)
),

credited as (
    select model, code, won_period, created_period, credit * w as w, credit * r as r, credit * o as o, credit * p as p
    from plain_credit
    union all
    select model, code, won_period, created_period, credit * w, credit * r, credit * o, credit * p
    from multiplied_credit
    union all
    select 'time_decay', code, won_period, created_period, dw, dr, do_, dp
    from groups
),

-- wins and revenue in the won period, opportunities and pipeline in the created period
booked as (
    select model, code, won_period as period, w, r, 0.0 as o, 0.0 as p from credited
    union all
    select model, code, created_period, 0.0, 0.0, o, p from credited
),

keyed as (
    select
        c.model,
        c.period,
        k.key,
        sum(c.w) as attributed_wins,
        sum(c.r) as attributed_revenue_usd,
        sum(c.o) as attributed_opportunities,
        sum(c.p) as attributed_pipeline_usd
    from booked as c
    join journey_keys($by) as k on k.code = c.code
    group by all
),

untouched_deals as (
    select d.*
    from deal_info as d
    anti join journey_touched($lookback_days, $scope) as t on t.deal_idx = d.deal_idx
    where $booking = 'close'
),

untouched as (
    select m.model, u.period, 'No touchpoint' as key, sum(u.w), sum(u.r), sum(u.o), sum(u.p)
    from (
        select won_period as period, is_won as w, is_won * amount_usd as r, 0 as o, 0.0 as p
        from untouched_deals
        union all
        select created_period, 0, 0.0, is_created, is_created * amount_usd
        from untouched_deals
    ) as u
    cross join (select model from models union all select 'time_decay') as m
    group by all
),

final as (
    select * from keyed
    union all
    select * from untouched
)

select
    model,
    period,
    key,
    cast(attributed_wins as double) as attributed_wins,
    cast(attributed_revenue_usd as double) as attributed_revenue_usd,
    cast(attributed_opportunities as double) as attributed_opportunities,
    cast(attributed_pipeline_usd as double) as attributed_pipeline_usd
from final, bounds as b
where period is not null
  and (b.p_from is null or period >= b.p_from)
  and (b.p_end is null or period < b.p_end)
  and (attributed_wins <> 0 or attributed_opportunities <> 0)
order by model, period, key
