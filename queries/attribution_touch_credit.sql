-- Question: what credit does every touch of every deal get under each
-- rule-based model (one row per deal, touch and model;
-- closedloop.engine.attribution.api makes a column of each model)?
-- Parameters: $lookback_days, $scope; $half_life_days (time_decay);
--   $model_names, $model_weights, $multiplier_models, $multiplier_types,
--   $multiplier_values (the position-based models, see journey_touch_credit).
-- Every deal appears: a deal without touches has one row with a null
-- touchpoint_id that holds all its credit, so each deal's credits add up to 1.
with

journey as (
    select *
    from journeys($lookback_days, $scope, null)
),

credit as (
    select *
    from journey_touch_credit(
        null, $lookback_days, $scope, $half_life_days, $model_names, $model_weights,
        $multiplier_models, $multiplier_types, $multiplier_values
    )
),

models as (
    select unnest(cast($model_names as varchar[])) as model
    union all
    select 'time_decay'
),

long as (
    select
        d.deal_id,
        d.outcome,
        s.amount,
        j.rn as touch_number,
        t.touchpoint_id,
        t.occurred_at,
        t.team,
        coalesce(t.channel, 'No touchpoint') as channel,
        t.touchpoint_type,
        t.campaign_id,
        t.asset,
        journey_positions(j.rn, j.n_lc, j.n_oc, j.n) as positions,
        m.model,
        coalesce(c.credit, 1.0) as credit
    from cl_deal as d
    join deals as s on s.deal_id = d.deal_id
    cross join models as m
    left join journey as j on j.deal_idx = d.deal_idx
    left join touchpoints as t on t.touchpoint_id = j.touchpoint_id
    left join credit as c on c.deal_idx = d.deal_idx and c.touchpoint_id = j.touchpoint_id and c.model = m.model
),

final as (
    select * from long
)

select * from final
order by deal_id, touch_number, model
