-- Question: what credit does every touch of every deal get under each
-- rule-based model (one row per deal and touch)?
-- Parameters: $lookback_days, $scope; $half_life_days (time_decay);
--   $custom_weights, $multiplier_types, $multiplier_values (the custom model).
-- Every deal appears: a deal without touches has one row with a null
-- touchpoint_id that holds all its credit, so each deal's credits add up to 1.
with

credit as (
    select *
    from attribution_touch_credit(
        $lookback_days, $scope, $half_life_days,
        cast($custom_weights as double[]),
        cast($multiplier_types as varchar[]),
        cast($multiplier_values as double[])
    )
),

final as (
    select
        d.deal_id,
        d.outcome,
        d.amount,
        c.touch_number,
        c.touchpoint_id,
        c.occurred_at,
        c.team,
        coalesce(c.channel, 'No touchpoint') as channel,
        c.touchpoint_type,
        c.campaign_id,
        c.asset,
        coalesce(c.positions, '') as positions,
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
    from deals as d
    left join credit as c on c.deal_id = d.deal_id
)

select * from final
order by deal_id, touch_number
