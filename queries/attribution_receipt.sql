-- Question: for one deal, which touches does it have, which positions (FT, LC,
-- OC, CL) does each hold, and how much credit does each get under every
-- rule-based model?
-- Parameters: $deal_id; $lookback_days, $scope; $half_life_days (time_decay);
--   $custom_weights, $multiplier_types, $multiplier_values (the custom model).
-- A deal without touches gets one "No touchpoint" row holding all the credit.
with

deal as (
    select deal_id, outcome, amount, created_at, closed_at
    from deals
    where deal_id = $deal_id
),

credit as (
    select *
    from attribution_touch_credit(
        $lookback_days, $scope, $half_life_days,
        cast($custom_weights as double[]),
        cast($multiplier_types as varchar[]),
        cast($multiplier_values as double[])
    )
    where deal_id = $deal_id
),

final as (
    select
        d.deal_id,
        c.touch_number,
        c.touchpoint_id,
        c.occurred_at,
        c.team,
        coalesce(c.channel, 'No touchpoint') as channel,
        c.touchpoint_type,
        coalesce(cp.name, c.campaign_id) as campaign,
        c.asset,
        c.contact_id,
        coalesce(c.positions, '') as positions,
        c.days_before_close,
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
    from deal as d
    left join credit as c on c.deal_id = d.deal_id
    left join campaigns as cp on cp.campaign_id = c.campaign_id
)

select * from final
order by touch_number
