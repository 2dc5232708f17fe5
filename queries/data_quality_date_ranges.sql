-- Question: what range does each date column span, and how many of its dates are
-- implausible (after $as_of, or before 1990)?
-- Parameters: $as_of (timestamp, usually now).
with

-- each table read once, its date columns unpivoted (nulls kept: they count as empty)
dates as (
    select 'contacts' as table_name, 'created_at' as column_name, created_at as value from contacts
    union all
    select 'leads', column_name, value
    from leads
    unpivot include nulls (
        value for column_name in (created_at, mql_at, assigned_at, first_follow_up_at, accepted_at, disqualified_at)
    )
    union all
    select 'campaigns', column_name, value
    from campaigns
    unpivot include nulls (value for column_name in (started_at, ended_at))
    union all select 'touchpoints', 'occurred_at', occurred_at from touchpoints
    union all
    select 'deals', column_name, value
    from deals
    unpivot include nulls (value for column_name in (created_at, closed_at))
    union all select 'deal_stage_history', 'entered_at', entered_at from deal_stage_history
),

final as (
    select
        table_name,
        column_name,
        min(value) as earliest,
        max(value) as latest,
        count(value) as filled,
        count(*) - count(value) as empty,
        count(*) filter (where value > cast($as_of as timestamp)) as in_future,
        count(*) filter (where value < timestamp '1990-01-01') as before_1990
    from dates
    group by table_name, column_name
    order by table_name, column_name
)

select * from final;
