-- Path report, paths before credit. The question: what is each closed deal's channel path after a
-- transform, and per distinct path its conversions (won deals), non-
-- conversions (lost deals), won revenue and win rate. The rows are the
-- aggregated path format that `attribute-paths` reads (path,
-- total_conversions, total_conversion_value, total_null).
--
-- Parameters:
--   $date_from, $date_to   deals closed on these dates or between them (whole days)
--   $segment, $region, $owner   account segment, region, deal owner; null = all
--   $lookback_days, $scope   the touch window (queries/macros.sql, journeys())
--   $transform       'as_is'            every touch's channel, in journey order
--                    'collapse_repeats' a channel repeated in a row once (a > a > b > a: a > b > a)
--                    'first_occurrence' each channel once, where it first occurs (a > b)
--                    'frequency'        each channel once with how often it occurs (a(3) > b(1))
--                    'drop_channel'     without $drop_channel's touches, unless the path is
--                                       nothing but that channel (then as is)
--   $drop_channel    the channel 'drop_channel' removes (ignored by the others)
--
-- Paths are channels joined by ' > '. A deal without a touch follows
-- '(no touchpoint)'.

with

closed as (
    select deal_idx, outcome = 'won' as won, amount_usd
    from journey_closed_deals($date_from, $date_to, $segment, $region, $owner)
    where closed_at >= cast($date_from as date)
      and closed_at < cast($date_to as date) + interval 1 day
),

-- each deal's channels in journey order (queries/macros.sql)
journeys_listed as (
    select deal_idx, channels as steps
    from journey_channel_lists((select list(deal_idx) from closed), $lookback_days, $scope)
),

firsts as (
    select
        deal_idx,
        steps,
        list_filter(steps, lambda c, i: list_position(steps, c) = i) as first_steps
    from journeys_listed
),

transformed as (
    select
        deal_idx,
        case $transform
            when 'as_is' then steps
            when 'collapse_repeats' then list_filter(steps, lambda c, i: i = 1 or c <> steps[i - 1])
            when 'first_occurrence' then first_steps
            when 'frequency' then list_transform(
                first_steps, lambda c: c || '(' || cast(len(list_filter(steps, lambda s: s = c)) as varchar) || ')'
            )
            when 'drop_channel' then coalesce(
                nullif(list_filter(steps, lambda c: c is distinct from $drop_channel), []), steps
            )
            else error('transform must be one of as_is, collapse_repeats, first_occurrence, frequency, drop_channel')
        end as path_steps
    from firsts
),

paths as (
    select
        coalesce(array_to_string(t.path_steps, ' > '), '(no touchpoint)') as path,
        coalesce(array_length(t.path_steps), 0) as steps,
        c.won,
        c.amount_usd
    from closed as c
    left join transformed as t on t.deal_idx = c.deal_idx
),

final as (
    select
        path,
        any_value(steps) as steps,
        count(*) filter (where won) as total_conversions,
        coalesce(sum(amount_usd) filter (where won), 0) as total_conversion_value,
        count(*) filter (where not won) as total_null,
        count(*) filter (where won) / count(*) as win_rate
    from paths
    group by path
)

select *
from final
order by total_conversions + total_null desc, total_conversions desc, path
