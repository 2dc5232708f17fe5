-- Question: what range does each date column span, and how many of its dates are
-- implausible (after $as_of, or before 1990)?
-- Parameters: $as_of (timestamp, usually now).
with

dates as (
    select 'contacts' as table_name, 'created_at' as column_name, created_at as value from contacts
    union all select 'leads', 'created_at', created_at from leads
    union all select 'leads', 'mql_at', mql_at from leads
    union all select 'leads', 'assigned_at', assigned_at from leads
    union all select 'leads', 'first_follow_up_at', first_follow_up_at from leads
    union all select 'leads', 'accepted_at', accepted_at from leads
    union all select 'leads', 'disqualified_at', disqualified_at from leads
    union all select 'campaigns', 'started_at', started_at from campaigns
    union all select 'campaigns', 'ended_at', ended_at from campaigns
    union all select 'touchpoints', 'occurred_at', occurred_at from touchpoints
    union all select 'deals', 'created_at', created_at from deals
    union all select 'deals', 'closed_at', closed_at from deals
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
