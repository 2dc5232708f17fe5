-- Build: the journey tables every engine question reads (closedloop/engine/journey_tables.py;
-- docs/performance.md), from the macros of queries/macros.sql that define them
-- (journey_key_rows, journey_deal_rows, journey_rows). Run inside the import's
-- or the sample's transaction, statement by statement, after the data changed.
-- They hold every deal's touches of the longest lookback's window, for both
-- scopes, so they serve any lookback 0..max_lookback_days() (730) and either scope.
-- Parameters: $now (naive UTC "now": open deals' touches count up to it),
--   $fingerprint (queries/derived_fingerprint.sql's value),
--   $build (a digest of this file and the macros: tables of another version are
--   not used).

create or replace table cl_key as
select * from journey_key_rows();

create or replace table cl_deal as
select * from journey_deal_rows()
order by deal_idx;

-- one scope after the other, so a query of one scope skips the other's row
-- groups by their min/max (scope is the first column); each scope a slice of
-- deals at a time (closedloop/engine/journey_tables.py repeats a statement that binds
-- $deal_idxs over the slices), so the build's memory stays that of one slice
-- scope is stored as an enum: a constant text column cost 0.24 s of writing a
-- 5.3M-row slice (1 s of the 1M import), an enum 0.04 s; filters on it still
-- skip row groups
-- touchpoint_id is stored uncompressed: DuckDB's choice for unique ids (dict_fsst) made writing
-- a 5.3M-row slice take 1.55 s against 1.07 s (3 runs each at 1M deals, ~2 s of the import's
-- build) for 41 MB more per slice (~150 MB at 1M), and scans of it are as fast. The columns are
-- journey_rows' (queries/macros.sql), inserted by name: a column added there and not here fails.
create or replace table cl_touch (
    scope enum('account', 'contact_roles'),
    deal_idx integer,
    touchpoint_id varchar using compression uncompressed,
    ord integer,
    n integer,
    n_lc integer,
    n_oc integer,
    lb_days integer,
    first_lb integer,
    channel_code smallint,
    type_code smallint,
    team_code smallint,
    campaign_code integer,
    asset_code integer,
    secs_before_last double,
    decay_share double,
    channel_history bigint
);

insert into cl_touch by name
select * from journey_rows('account', cast($now as timestamp), $deal_idxs);

insert into cl_touch by name
select * from journey_rows('contact_roles', cast($now as timestamp), $deal_idxs);

-- What the tables were built for and from: closedloop.engine.journey_tables reads them only
-- while the source tables still have this fingerprint.
create or replace table cl_meta as
select *
from (
    values
        ('max_lookback_days', cast(max_lookback_days() as varchar)),
        ('built_at', cast(cast($now as timestamp) as varchar)),
        ('latest_touch_at', (select cast(max(occurred_at) as varchar) from touchpoints)),
        ('fingerprint', $fingerprint),
        ('build', $build)
) as m(key, value);
