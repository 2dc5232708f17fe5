-- Question: the same as attribution_rollup.sql (wins, won revenue and pipeline
-- per key under every rule-based model), answered from the derived tables
-- (queries/derived_build.sql) for the default matching: closedloop/derived.py
-- picks this file only when they match, and tests hold both files equal.
-- Parameters: those of attribution_rollup.sql except $lookback_days and
--   $scope (fixed by the derived tables); $default_half_life_days, the
--   half-life whose time-decay credit cl_touch stores. The custom model here
--   has no type multipliers (closedloop.attribution.api falls back otherwise).
-- A position model's credit for a touch depends only on (n, n_lc, n_oc) and
-- which positions the touch holds, so touches are summed per key and such a
-- signature first, and the models credit the ~10^5 groups instead of every touch.
with

scoped as (
    select *
    from (
        select
            deal_idx,
            amount_usd,
            touches,
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

-- time decay at another half-life needs each deal's weight total; at the
-- stored half-life this is empty
decay_totals as (
    select deal_idx, sum(pow(2, -secs_before_last / (86400.0 * $half_life_days))) as weight_total
    from cl_touch
    where $half_life_days <> $default_half_life_days
    group by deal_idx
),

touches as (
    select
        case $by
            when 'channel' then t.channel_code
            when 'touchpoint_type' then t.type_code
            when 'team' then t.team_code
            when 'campaign' then t.campaign_code
            when 'asset' then t.asset_code
            else error('by must be one of channel, touchpoint_type, campaign, asset, team')
        end as code,
        t.rn,
        t.n,
        t.n_lc,
        t.n_oc,
        case
            when $half_life_days = $default_half_life_days then t.decay_default
            else pow(2, -t.secs_before_last / (86400.0 * $half_life_days)) / w.weight_total
        end as decay,
        s.won,
        s.created,
        s.amount_usd
    from cl_touch as t
    join scoped as s on s.deal_idx = t.deal_idx
    left join decay_totals as w on w.deal_idx = t.deal_idx
),

groups as (
    select
        code,
        n,
        n_lc,
        n_oc,
        -- any touch of the group stands for all: they hold the same positions
        min(rn) as rn,
        sum(won) as w,
        sum(won * amount_usd) as r,
        sum(created * amount_usd) as p,
        sum(decay * won) as dw,
        sum(decay * won * amount_usd) as dr,
        sum(decay * created * amount_usd) as dp
    from touches
    group by code, n, n_lc, n_oc, rn = 1, rn = n_lc, rn = n_oc, rn = n
),

credited as (
    select
        g.*,
        attribution_position_credit(1, 0, 0, 0, 0, rn, n, n_lc, n_oc,
            attribution_middle_count(1, 0, 0, 0, n, n_lc, n_oc)) as first_touch,
        attribution_position_credit(0, 0, 0, 1, 0, rn, n, n_lc, n_oc,
            attribution_middle_count(0, 0, 0, 1, n, n_lc, n_oc)) as last_touch,
        attribution_position_credit(0, 0, 0, 0, 1, rn, n, n_lc, n_oc, n) as linear,
        attribution_position_credit(40, 40, 0, 0, 20, rn, n, n_lc, n_oc,
            attribution_middle_count(40, 40, 0, 0, n, n_lc, n_oc)) as u_shaped,
        attribution_position_credit(30, 30, 30, 0, 10, rn, n, n_lc, n_oc,
            attribution_middle_count(30, 30, 30, 0, n, n_lc, n_oc)) as w_shaped,
        attribution_position_credit(225, 225, 225, 225, 100, rn, n, n_lc, n_oc,
            attribution_middle_count(225, 225, 225, 225, n, n_lc, n_oc)) as full_path,
        attribution_position_credit(40, 0, 0, 40, 20, rn, n, n_lc, n_oc,
            attribution_middle_count(40, 0, 0, 40, n, n_lc, n_oc)) as position_40_20_40,
        attribution_position_credit(20, 0, 0, 60, 20, rn, n, n_lc, n_oc,
            attribution_middle_count(20, 0, 0, 60, n, n_lc, n_oc)) as j_shaped,
        attribution_position_credit(60, 0, 0, 20, 20, rn, n, n_lc, n_oc,
            attribution_middle_count(60, 0, 0, 20, n, n_lc, n_oc)) as inverse_j,
        attribution_position_credit(
            w_ft, w_lc, w_oc, w_cl, w_mid, rn, n, n_lc, n_oc,
            attribution_middle_count(w_ft, w_lc, w_oc, w_cl, n, n_lc, n_oc)
        ) as custom
    from groups as g
    cross join (
        select
            cast($custom_weights as double[])[1] as w_ft,
            cast($custom_weights as double[])[2] as w_lc,
            cast($custom_weights as double[])[3] as w_oc,
            cast($custom_weights as double[])[4] as w_cl,
            cast($custom_weights as double[])[5] as w_mid
    ) as cw
),

-- codes back to keys; campaigns that share a name share a key, as in attribution_key()
keyed as (
    select k.key, c.*
    from credited as c
    join cl_key as k on k.dimension = $by and k.code = c.code
),

totals as (
    select
        key,
        sum(first_touch * w) as first_touch_w,
        sum(first_touch * r) as first_touch_r,
        sum(first_touch * p) as first_touch_p,
        sum(last_touch * w) as last_touch_w,
        sum(last_touch * r) as last_touch_r,
        sum(last_touch * p) as last_touch_p,
        sum(linear * w) as linear_w,
        sum(linear * r) as linear_r,
        sum(linear * p) as linear_p,
        sum(u_shaped * w) as u_shaped_w,
        sum(u_shaped * r) as u_shaped_r,
        sum(u_shaped * p) as u_shaped_p,
        sum(w_shaped * w) as w_shaped_w,
        sum(w_shaped * r) as w_shaped_r,
        sum(w_shaped * p) as w_shaped_p,
        sum(full_path * w) as full_path_w,
        sum(full_path * r) as full_path_r,
        sum(full_path * p) as full_path_p,
        sum(position_40_20_40 * w) as position_40_20_40_w,
        sum(position_40_20_40 * r) as position_40_20_40_r,
        sum(position_40_20_40 * p) as position_40_20_40_p,
        sum(j_shaped * w) as j_shaped_w,
        sum(j_shaped * r) as j_shaped_r,
        sum(j_shaped * p) as j_shaped_p,
        sum(inverse_j * w) as inverse_j_w,
        sum(inverse_j * r) as inverse_j_r,
        sum(inverse_j * p) as inverse_j_p,
        sum(dw) as time_decay_w,
        sum(dr) as time_decay_r,
        sum(dp) as time_decay_p,
        sum(custom * w) as custom_w,
        sum(custom * r) as custom_r,
        sum(custom * p) as custom_p
    from keyed
    group by key
    union all
    -- deals without touches: every model gives their whole credit to this row
    select
        'No touchpoint',
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd),
        sum(won), sum(won * amount_usd), sum(created * amount_usd)
    from scoped
    where touches = 0
    having count(*) > 0
),

final as (
    select *
    from (
        unpivot totals
        on
            (first_touch_w, first_touch_r, first_touch_p) as first_touch,
            (last_touch_w, last_touch_r, last_touch_p) as last_touch,
            (linear_w, linear_r, linear_p) as linear,
            (u_shaped_w, u_shaped_r, u_shaped_p) as u_shaped,
            (w_shaped_w, w_shaped_r, w_shaped_p) as w_shaped,
            (full_path_w, full_path_r, full_path_p) as full_path,
            (position_40_20_40_w, position_40_20_40_r, position_40_20_40_p) as position_40_20_40,
            (j_shaped_w, j_shaped_r, j_shaped_p) as j_shaped,
            (inverse_j_w, inverse_j_r, inverse_j_p) as inverse_j,
            (time_decay_w, time_decay_r, time_decay_p) as time_decay,
            (custom_w, custom_r, custom_p) as custom
        into name model value attributed_wins, attributed_revenue_usd, attributed_pipeline_usd
    )
)

select model, key, attributed_wins, attributed_revenue_usd, attributed_pipeline_usd
from final
order by model, attributed_wins desc, attributed_revenue_usd desc, key
