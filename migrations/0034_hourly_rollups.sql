-- Up Migration
-- Hourly rollups (issue 30, item 4): the task, failure and latency rollups per UTC hour, beside
-- the daily ones. The live admin_credit_stats() read the partial days at the edges of its range
-- (today, and the day its range starts in) from the raw rows: 1.2–1.4 s at 100k generations a
-- day. With hours it reads at most the partial hours at its edges and the hours whose tasks
-- changed since the last refresh from the raw rows, and everything else from the rollups: exact,
-- whatever the daily volume. The refresh now recomputes the hours from the earliest change on
-- (not the whole day) and sums the days from the hours.
-- Derived data, computed by monitoring.refresh_rollups(): as 0024 did, the watermark goes back to
-- -infinity so that the next refresh recomputes every rollup, hourly and daily (one pass over the
-- tasks, in the scheduled job, not in this migration's lock). Until it runs, live reads read the
-- raw rows (exact, slower) and reads as of the last refresh read the daily rows as before. A
-- refresh running now would write its own watermark over this one: wait for it.

create table monitoring.task_rollup_hourly (
  hour timestamptz not null,
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
  unpriced integer not null,
  failed_cost_usd numeric not null,
  credits_settled bigint not null,
  constraint task_rollup_hourly_pkey primary key (hour, provider, model, task_type),
  constraint task_rollup_hourly_hour_check check (extract(epoch from hour) % 3600 = 0)
);
comment on table monitoring.task_rollup_hourly is
  'task_rollup_daily by the UTC hour tasks started: the edges of live ranges, and what the days are summed from.';

create table monitoring.failure_rollup_hourly (
  hour timestamptz not null,
  provider text not null,
  model text not null,
  failure_source text not null,
  error text not null,
  failures integer not null,
  constraint failure_rollup_hourly_pkey primary key (hour, provider, model, failure_source, error),
  constraint failure_rollup_hourly_hour_check check (extract(epoch from hour) % 3600 = 0)
);
comment on table monitoring.failure_rollup_hourly is 'failure_rollup_daily by the UTC hour tasks started.';

create table monitoring.latency_rollup_hourly (
  hour timestamptz not null,
  provider text not null,
  model text not null,
  bucket smallint not null,
  tasks integer not null,
  constraint latency_rollup_hourly_pkey primary key (hour, provider, model, bucket),
  constraint latency_rollup_hourly_hour_check check (extract(epoch from hour) % 3600 = 0)
);
comment on table monitoring.latency_rollup_hourly is 'latency_rollup_daily by the UTC hour tasks started.';

revoke all on monitoring.task_rollup_hourly, monitoring.failure_rollup_hourly, monitoring.latency_rollup_hourly from public;
grant select on monitoring.task_rollup_hourly, monitoring.failure_rollup_hourly, monitoring.latency_rollup_hourly to credits_analyst;

-- The next refresh recomputes everything (hours included).
select pg_advisory_xact_lock(hashtext('monitoring.refresh_rollups'));
update monitoring.rollup_state set watermark = '-infinity', in_flight_since = '-infinity' where name = 'rollups';

-- Down Migration
-- Derived counts only: the daily rollups stay as the last refresh left them (summed from the
-- hours, equal to the raw rows), and the previous release's refresh keeps them from there.
drop table monitoring.task_rollup_hourly, monitoring.failure_rollup_hourly, monitoring.latency_rollup_hourly;
