-- Question: for one deal, which touches does it have, which positions (FT, LC,
-- OC, CL) does each hold, and how much credit does each get under every
-- rule-based model (one row per touch and model;
-- closedloop.engine.attribution.api makes a column of each model)?
-- Parameters: $deal_id; $lookback_days, $scope; $half_life_days (time_decay);
--   $model_names, $model_weights, $multiplier_models, $multiplier_types,
--   $multiplier_values (the position-based models, see journey_touch_credit).
-- A deal without touches gets one "No touchpoint" row holding all the credit.
with

deal as (
    select d.deal_idx, d.deal_id, d.closed_at, coalesce(src.dates_unknown, false) as dates_unknown
    from cl_deal as d
    inner join deals as src on src.deal_id = d.deal_id
    where d.deal_id = $deal_id
),

journey as (
    select j.*
    from journeys($lookback_days, $scope, null) as j
    where j.deal_idx = (select deal_idx from deal)
),

credit as (
    select *
    from journey_touch_credit(
        (select deal_idx from deal), $lookback_days, $scope, $half_life_days, $model_names, $model_weights,
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
        j.rn as touch_number,
        t.touchpoint_id,
        t.occurred_at,
        t.team,
        coalesce(t.channel, 'No touchpoint') as channel,
        t.touchpoint_type,
        coalesce(cp.name, t.campaign_id) as campaign,
        t.asset,
        t.contact_id,
        journey_positions(j.rn, j.n_lc, j.n_oc, j.n) as positions,
        -- open deals count from their last touch rather than from "now", so a
        -- receipt does not change from one day to the next; a deal or touch
        -- imported without dates (its dates a stand-in) has no days to count
        case
            when d.dates_unknown or coalesce(t.dates_unknown, false) then null
            when d.closed_at is null then j.secs_before_last / 86400.0
            else date_diff('microsecond', t.occurred_at, d.closed_at) / 86400000000.0
        end as days_before_close,
        m.model,
        coalesce(c.credit, 1.0) as credit
    from deal as d
    cross join models as m
    left join journey as j on j.deal_idx = d.deal_idx
    left join touchpoints as t on t.touchpoint_id = j.touchpoint_id
    left join campaigns as cp on cp.campaign_id = t.campaign_id
    left join credit as c on c.touchpoint_id = j.touchpoint_id and c.model = m.model
),

final as (
    select * from long
)

select * from final
order by touch_number, model
