-- Up Migration
-- Top users over a range (issue 13): each user's generations, credits charged and refunded and
-- provider cost per UTC day of start. admin_credit_stats ranks a range's users by summing these
-- rows (a day holds its active users, not its tasks: the cost follows the users, not the daily
-- volume of generations), or, for the dashboard's preset periods, from user_rollup_window. Derived data: filled here from the raw rows, kept
-- by monitoring.refresh_rollups() from then on (credits_private.user_day_rollup_source defines it).

create table monitoring.user_rollup_daily (
  day date not null,
  user_id uuid not null,
  generations integer not null,
  credits_charged bigint not null,
  credits_refunded bigint not null,
  cost_usd numeric not null,
  constraint user_rollup_daily_pkey primary key (day, user_id)
);
comment on table monitoring.user_rollup_daily is
  'Each user''s generations, credits charged and refunded and provider cost by UTC day of start.';
revoke all on monitoring.user_rollup_daily from public;
grant select on monitoring.user_rollup_daily to credits_analyst;

insert into monitoring.user_rollup_daily (day, user_id, generations, credits_charged, credits_refunded, cost_usd)
select (t.created_at at time zone 'UTC')::date, t.user_id, count(*)::integer,
       coalesce(sum(c.charged), 0)::bigint, coalesce(sum(c.refunded), 0)::bigint, coalesce(sum(t.provider_cost_usd), 0)
  from public.enhancement_tasks t
  -- what credits_private.task_credits says a task was charged and refunded (the views are
  -- applied after the migrations)
  cross join lateral (
    select case when t.origin = 'rpc' then t.credits_used
                else (select sum(-l.amount) from public.credit_transactions l where l.task_id = t.id and l.type = 'usage') end as charged,
           case when t.origin = 'rpc' then (case when t.status = 'failed' then t.credits_used else 0 end)
                else (select sum(l.amount) from public.credit_transactions l where l.task_id = t.id and l.type = 'refund') end as refunded
  ) c
 group by 1, 2;

create index user_rollup_daily_user_idx on monitoring.user_rollup_daily (user_id, day);

-- The same totals over windows of whole UTC days: the last 1, 7 and 30 days through today (as of
-- the refresh: the dashboard's periods) and the 6 and 29 days through yesterday (with the raw
-- rows since, "the last 7 or 30 days" to now). admin_credit_stats ranks a period's users from
-- the leaders of the longest window within it (by index) and the users of the days around it,
-- exactly, instead of summing every active user's days (a month of a platform's users is a
-- hundred thousand rows to add up). The refresh rebuilds them when the day changes, and updates
-- the users whose tasks changed in between.
create table monitoring.user_rollup_window (
  days smallint not null check (days in (1, 6, 7, 29, 30)),
  user_id uuid not null,
  generations integer not null,
  credits_charged bigint not null,
  credits_refunded bigint not null,
  cost_usd numeric not null,
  constraint user_rollup_window_pkey primary key (days, user_id)
);
create index user_rollup_window_credits_idx on monitoring.user_rollup_window (days, credits_charged desc, user_id);
create index user_rollup_window_cost_idx on monitoring.user_rollup_window (days, cost_usd desc, user_id);
create index user_rollup_window_generations_idx on monitoring.user_rollup_window (days, generations desc, user_id);
comment on table monitoring.user_rollup_window is
  'Each user''s totals over the last 1, 7 and 30 UTC days through today and 6 and 29 through yesterday: top users by index.';
-- The day each window ends on (one row per window): when the day changes only the users of the
-- days that leave or enter a window are recomputed, the others' rows stay right.
create table monitoring.user_rollup_window_end (
  days smallint primary key check (days in (1, 6, 7, 29, 30)),
  through date not null
);
comment on table monitoring.user_rollup_window_end is 'The last day of each window of monitoring.user_rollup_window.';
revoke all on monitoring.user_rollup_window, monitoring.user_rollup_window_end from public;
grant select on monitoring.user_rollup_window, monitoring.user_rollup_window_end to credits_analyst;
-- Filled by the first refresh (credits_private.rebuild_user_windows): the windows end on the day
-- that refresh runs.

-- platform_health reads today as of the last refresh: it alerts when that refresh is this old.
insert into monitoring.thresholds (name, value, description) values
  ('rollups_stale_after_minutes', 10, 'platform_health alerts when the rollups were last refreshed longer ago than this (or never)')
on conflict (name) do nothing;

-- Down Migration
-- Derived figures only (the next up recomputes them): nothing is lost.
drop table monitoring.user_rollup_window_end, monitoring.user_rollup_window, monitoring.user_rollup_daily;
delete from monitoring.thresholds where name = 'rollups_stale_after_minutes';
