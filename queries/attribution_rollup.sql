-- Question: how many wins, how much won revenue and how much pipeline does each
-- channel / touchpoint type / campaign / asset / team earn under every
-- rule-based attribution model (one row per key and model)?
-- Parameters: $by (channel, touchpoint_type, campaign, asset or team);
--   $date_from, $date_to (dates, inclusive; null = open-ended): wins and won
--   revenue count deals won with closed_at in the period, pipeline counts the
--   amount of deals created in the period; $segment, $region, $owner (null = all);
--   $lookback_days, $scope (account or contact_roles); $half_life_days (time_decay);
--   $custom_weights ([FT, LC, OC, CL, middle]), $multiplier_types,
--   $multiplier_values (the custom model).
-- Deals without touches land in the "No touchpoint" row, so every model's
-- totals equal the CRM's wins, won revenue and pipeline.
with

period_deals as (
    select
        deal_id,
        coalesce(amount, 0) as amount,
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
    from filtered_deals($segment, $region, $owner)
),

scoped as (
    select * from period_deals where won = 1 or created = 1
),

credit as (
    select *
    from attribution_touch_credit(
        $lookback_days, $scope, $half_life_days,
        cast($custom_weights as double[]),
        cast($multiplier_types as varchar[]),
        cast($multiplier_values as double[])
    )
),

keyed as (
    select
        d.won,
        d.created,
        d.amount,
        case
            when c.deal_id is null then 'No touchpoint'
            else attribution_key($by, c.channel, c.touchpoint_type, cp.name, c.campaign_id, c.asset, c.team)
        end as key,
        coalesce(c.first_touch, 1) as first_touch,
        coalesce(c.last_touch, 1) as last_touch,
        coalesce(c.linear, 1) as linear,
        coalesce(c.u_shaped, 1) as u_shaped,
        coalesce(c.w_shaped, 1) as w_shaped,
        coalesce(c.full_path, 1) as full_path,
        coalesce(c.position_40_20_40, 1) as position_40_20_40,
        coalesce(c.j_shaped, 1) as j_shaped,
        coalesce(c.inverse_j, 1) as inverse_j,
        coalesce(c.time_decay, 1) as time_decay,
        coalesce(c.custom, 1) as custom
    from scoped as d
    left join credit as c on c.deal_id = d.deal_id
    left join campaigns as cp on cp.campaign_id = c.campaign_id
),

totals as (
    select
        key,
        sum(first_touch * won) as first_touch_w,
        sum(first_touch * won * amount) as first_touch_r,
        sum(first_touch * created * amount) as first_touch_p,
        sum(last_touch * won) as last_touch_w,
        sum(last_touch * won * amount) as last_touch_r,
        sum(last_touch * created * amount) as last_touch_p,
        sum(linear * won) as linear_w,
        sum(linear * won * amount) as linear_r,
        sum(linear * created * amount) as linear_p,
        sum(u_shaped * won) as u_shaped_w,
        sum(u_shaped * won * amount) as u_shaped_r,
        sum(u_shaped * created * amount) as u_shaped_p,
        sum(w_shaped * won) as w_shaped_w,
        sum(w_shaped * won * amount) as w_shaped_r,
        sum(w_shaped * created * amount) as w_shaped_p,
        sum(full_path * won) as full_path_w,
        sum(full_path * won * amount) as full_path_r,
        sum(full_path * created * amount) as full_path_p,
        sum(position_40_20_40 * won) as position_40_20_40_w,
        sum(position_40_20_40 * won * amount) as position_40_20_40_r,
        sum(position_40_20_40 * created * amount) as position_40_20_40_p,
        sum(j_shaped * won) as j_shaped_w,
        sum(j_shaped * won * amount) as j_shaped_r,
        sum(j_shaped * created * amount) as j_shaped_p,
        sum(inverse_j * won) as inverse_j_w,
        sum(inverse_j * won * amount) as inverse_j_r,
        sum(inverse_j * created * amount) as inverse_j_p,
        sum(time_decay * won) as time_decay_w,
        sum(time_decay * won * amount) as time_decay_r,
        sum(time_decay * created * amount) as time_decay_p,
        sum(custom * won) as custom_w,
        sum(custom * won * amount) as custom_r,
        sum(custom * created * amount) as custom_p
    from keyed
    group by key
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
