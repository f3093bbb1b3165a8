-- Up Migration
-- Monitoring at production scale (issue: dashboards under 100 ms at 2M tasks).
--
-- Thresholds are data (monitoring.thresholds), not literals in view bodies.
-- Rollups: small tables the monitoring views read, kept by monitoring.refresh_rollups(), a job
-- run every minute (see docs/monitoring.md). They are not maintained inside the RPC functions:
-- every charge would then update the same few rollup rows and all writers would queue on their
-- row locks. The refresh recomputes, from the raw rows, every key touched since its last run,
-- so a rollup row always equals a recomputation of the raw data as of that run.
-- BRIN indexes on the append-ordered timestamps (tasks' created_at, from 0002, and the
-- ledger's) find "what changed since" and "today" cheaply.

create table monitoring.thresholds (
  name text primary key,
  value numeric not null,
  description text not null
);
comment on table monitoring.thresholds is 'Alert thresholds the monitoring views compare against; change them with UPDATE.';
insert into monitoring.thresholds (name, value, description) values
  ('success_rate_min', 0.95, 'a period whose success rate (completed / finished) is below this is flagged'),
  ('refund_rate_max', 0.05, 'a period whose refund rate (refunded / charged credits) is above this is flagged'),
  ('failures_per_day_max', 500, 'platform_health flags more failed generations than this today'),
  ('stuck_tasks_max', 0, 'platform_health flags more stuck tasks than this'),
  ('stuck_after_minutes', 30, 'a task in flight for longer than this is stuck (the sweeper''s age)'),
  ('hint_factor', 1.5, 'optimization_hints lists models whose failure rate or cost per success exceeds their provider''s by this factor'),
  ('hint_min_generations', 20, 'optimization_hints ignores models with fewer generations in the window');

create table monitoring.task_rollup_daily (
  day date not null,
  provider text not null,
  model text not null,
  task_type text not null,
  generations integer not null,
  completed integer not null,
  failed integer not null,
  in_flight integer not null,
  credits_charged bigint not null,
  credits_refunded bigint not null,
  refunded_tasks integer not null,
  cost_usd numeric(16,6) not null,
  latency_ms_sum bigint not null,
  latency_count integer not null,
  constraint task_rollup_daily_pkey primary key (day, provider, model, task_type)
);
comment on table monitoring.task_rollup_daily is
  'Tasks by the UTC day they started, provider, model and task type (model ''(unknown)'' for legacy tasks).';

create table monitoring.failure_rollup_daily (
  day date not null,
  provider text not null,
  model text not null,
  failure_source text not null,
  error text not null,
  failures integer not null,
  constraint failure_rollup_daily_pkey primary key (day, provider, model, failure_source, error)
);
comment on table monitoring.failure_rollup_daily is
  'Failed tasks by start day, provider, model, source and error (digits and ids folded to #).';

create table monitoring.user_rollup_monthly (
  month date not null,
  user_id uuid not null,
  generations integer not null,
  completed integer not null,
  failed integer not null,
  credits_charged bigint not null,
  credits_refunded bigint not null,
  cost_usd numeric(16,6) not null,
  constraint user_rollup_monthly_pkey primary key (month, user_id)
);
create index user_rollup_monthly_month_cost_idx on monitoring.user_rollup_monthly (month, cost_usd desc);
create index user_rollup_monthly_month_credits_idx on monitoring.user_rollup_monthly (month, credits_charged desc);
comment on table monitoring.user_rollup_monthly is 'Each user''s generations, credits and provider cost by UTC month of start.';

create table monitoring.activity_rollup_weekly (
  week date primary key,
  active_users integer not null,
  new_users integer not null,
  generations integer not null
);
comment on table monitoring.activity_rollup_weekly is
  'Users with at least one generation started in the ISO week, and those whose first generation it was.';

create table monitoring.rollup_state (
  name text primary key,
  watermark timestamptz not null,
  -- no task created before this was in flight at the last refresh: the next one reads from here
  in_flight_since timestamptz not null,
  refreshed_at timestamptz not null,
  keys_refreshed integer not null
);
comment on table monitoring.rollup_state is 'When monitoring.refresh_rollups() last ran and from which instant it will look for changes.';

-- The service role runs the refresh job (monitoring.refresh_rollups) and reads nothing else here.
grant usage on schema monitoring to credits_service;
grant select on monitoring.thresholds, monitoring.task_rollup_daily, monitoring.failure_rollup_daily,
  monitoring.user_rollup_monthly, monitoring.activity_rollup_weekly, monitoring.rollup_state to credits_analyst;

create index credit_transactions_created_at_brin on public.credit_transactions using brin (created_at);
-- The refund audit reads inherited tasks only; new tasks never enter this index (and origin never
-- changes, so it keeps task updates HOT, unlike a predicate on status would).
create index enhancement_tasks_legacy_idx on public.enhancement_tasks (id) where origin = 'legacy';

-- Thresholds a DBA tuned before a rollback come back (see the down section).
do $$
begin
  if to_regclass('archive.m0005_thresholds') is not null then
    update monitoring.thresholds t set value = a.value from archive.m0005_thresholds a where a.name = t.name;
    drop table archive.m0005_thresholds;
  end if;
end;
$$;

-- Down Migration
-- The rollups are derived data (monitoring.refresh_rollups(true) rebuilds them); the thresholds
-- are settings, kept in archive for the next up.
create schema if not exists archive;
drop table if exists archive.m0005_thresholds;
create table archive.m0005_thresholds as select name, value from monitoring.thresholds;
drop index public.enhancement_tasks_legacy_idx;
drop index public.credit_transactions_created_at_brin;
revoke usage on schema monitoring from credits_service;
drop table monitoring.rollup_state, monitoring.activity_rollup_weekly, monitoring.user_rollup_monthly,
  monitoring.failure_rollup_daily, monitoring.task_rollup_daily, monitoring.thresholds;
