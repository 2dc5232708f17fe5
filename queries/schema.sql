-- The canonical Closed Loop data model (see README "Data model").
-- Every import maps into these tables; the app writes only retro_notes and reviews.
-- Timestamps are naive UTC. Money is in US dollars.
-- dates_unknown (leads, deals, touchpoints): the export had no dates; the row's dates
-- are the mapping's `as_of` date, a stand-in, so no duration is computed from them (docs/import.md).
-- Idempotent: safe to run on an existing database.

create table if not exists schema_info (
    key varchar primary key,
    value varchar not null
);

create table if not exists accounts (
    account_id varchar primary key,
    name varchar not null,
    industry varchar,
    segment varchar,
    region varchar,
    employees integer check (employees is null or employees >= 0)
);

create table if not exists contacts (
    contact_id varchar primary key,
    account_id varchar,
    title varchar,
    persona varchar,
    created_at timestamp
);

-- campaign_id is an addition to DESIGN.md: the campaign that produced the lead,
-- needed to cost leads that were never followed up.
create table if not exists leads (
    lead_id varchar primary key,
    contact_id varchar,
    account_id varchar,
    source_channel varchar,
    created_at timestamp not null,
    mql_at timestamp,
    assigned_at timestamp,
    owner varchar,
    first_follow_up_at timestamp,
    accepted_at timestamp,
    disqualified_at timestamp,
    disqualify_reason varchar,
    campaign_id varchar,
    dates_unknown boolean default false
);

create table if not exists campaigns (
    campaign_id varchar primary key,
    name varchar not null,
    channel varchar,
    campaign_type varchar,
    cost double check (cost is null or cost >= 0),
    started_at timestamp,
    ended_at timestamp
);

-- Spend (issue 14; docs/spend.md): money spent on a campaign or a channel on a day, or in a
-- month (dated on any day of that month, the 1st by convention), in the database's currency
-- (USD; the importer converts other currencies by the mapping's [currency] rates). A file is by
-- campaign (campaign_id set, channel '' = the campaign's channel) or by channel (campaign_id '').
-- A re-import replaces the spend of each campaign or channel it holds from its first date to
-- its last (closedloop/importer/load.py), instead of adding to it.
create table if not exists spend (
    spend_date date not null,
    channel varchar not null default '',
    campaign_id varchar not null default '',
    amount double not null check (amount >= 0),
    primary key (spend_date, channel, campaign_id)
);

-- touchpoint_id is the key (DESIGN.md), kept unique by every writer (the importer upserts by it,
-- the sample numbers them) but not declared: DuckDB's index over it cost an import of 10.5M
-- touches 7.6 s of 54 s (3.8 s to insert, 4 s to commit) and ~0.5 GB held in memory. A
-- database created before keeps its index. A row copied twice by hand shows in the Data page's
-- duplicate touches. It is stored uncompressed: unique ids gain little from DuckDB's dictionary
-- and FSST, whose analysis made inserting 10.5M touches take 4.45 s against 3.63 s (2 runs each),
-- for 105 MB more; scanning it is no slower. (A database created before keeps its storage.)
create table if not exists touchpoints (
    touchpoint_id varchar using compression uncompressed not null,
    occurred_at timestamp not null,
    account_id varchar not null,
    contact_id varchar,
    team varchar not null check (team in ('marketing', 'sales')),
    channel varchar not null,
    touchpoint_type varchar not null,
    campaign_id varchar,
    asset varchar,
    dates_unknown boolean default false
);

-- closed_at is null for open deals; account_id and created_at may be null in
-- imported CRM data (such deals land in the "No touchpoint" row).
create table if not exists deals (
    deal_id varchar primary key,
    account_id varchar,
    name varchar,
    owner varchar,
    created_at timestamp,
    closed_at timestamp,
    stage varchar,
    outcome varchar not null check (outcome in ('won', 'lost', 'open')),
    amount double check (amount is null or amount >= 0),
    dates_unknown boolean default false,
    check (outcome = 'open' or closed_at is not null)
);

create table if not exists deal_contacts (
    deal_id varchar not null,
    contact_id varchar not null,
    role varchar,
    primary key (deal_id, contact_id)
);

create table if not exists deal_stage_history (
    deal_id varchar not null,
    stage varchar not null,
    entered_at timestamp not null,
    primary key (deal_id, stage, entered_at)
);

create sequence if not exists retro_note_ids start 1;

create table if not exists retro_notes (
    note_id bigint primary key default nextval('retro_note_ids'),
    deal_id varchar not null,
    touchpoint_id varchar,
    team varchar not null check (team in ('marketing', 'sales')),
    verdict varchar check (verdict in ('critical', 'helpful', 'noise')),
    text varchar,
    created_at timestamp not null default current_timestamp,
    review_id varchar
);

-- One row per note saved from a dashboard form: saving the same form again (a retry after an
-- error, a double click) finds its note here instead of writing it twice.
create table if not exists note_submissions (
    submission_id varchar primary key,
    note_id bigint not null
);

-- Named review-meeting agendas (written by the app).
create table if not exists reviews (
    review_id varchar primary key,
    name varchar not null unique,
    period_from date,
    period_to date,
    model varchar,
    created_at timestamp not null default current_timestamp
);

create table if not exists review_deals (
    review_id varchar not null,
    deal_id varchar not null,
    position integer not null,
    primary key (review_id, deal_id)
);

-- How a review's agenda was chosen and which touches belong to its deals, so a
-- reopened review (and its meeting pack) shows the same timelines and credit.
-- selection: 'all', 'won', 'lost', 'largest' (largest_n deals) or 'picked'.
create table if not exists review_settings (
    review_id varchar primary key,
    selection varchar not null check (selection in ('all', 'won', 'lost', 'largest', 'picked')),
    largest_n integer,
    segment varchar,
    region varchar,
    owner varchar,
    lookback_days integer not null,
    scope varchar not null check (scope in ('account', 'contact_roles'))
);

-- Written by imports.
create sequence if not exists import_ids start 1;

create table if not exists import_log (
    import_id bigint primary key default nextval('import_ids'),
    imported_at timestamp not null default current_timestamp,
    files varchar not null,
    mapping varchar not null,
    rows_read bigint not null,
    rows_inserted bigint not null,
    rows_updated bigint not null,
    rows_rejected bigint not null,
    rows_skipped bigint default 0,
    skipped_why varchar
);

create table if not exists import_rejects (
    import_id bigint not null,
    file varchar not null,
    row_number bigint,
    target_table varchar,
    column_name varchar,
    value varchar,
    problem varchar not null,
    fix varchar
);

-- Schema version 2 (issue 11): databases built by version 1 gain the new columns.
alter table leads add column if not exists dates_unknown boolean default false;
alter table deals add column if not exists dates_unknown boolean default false;
alter table touchpoints add column if not exists dates_unknown boolean default false;
alter table import_log add column if not exists rows_skipped bigint default 0;
alter table import_log add column if not exists skipped_why varchar;
