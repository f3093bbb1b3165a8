-- refresh_rollups: brings the monitoring rollups up to date. It finds the earliest start time of
-- any task created, finished or refunded since its watermark (monitoring_private.changed_tasks):
-- the start of the oldest transaction open when the last run began
-- (credits_private.oldest_open_transaction; a transaction that committed after that run stamped
-- its rows no earlier), less credits_private.sweeper_state's margin; tasks in flight are read from
-- credits_private.in_flight_horizon. Then it recomputes the hourly rollups from that hour on from
-- the raw rows, the daily ones from that day on from the hours, and the per-user, weekly and
-- monthly ones from the raw rows. Usually that is the last hour or two; after a backfill of old
-- refunds it reaches back to the oldest hour concerned. p_full recomputes everything.
-- Run it every minute as credits_service (docs/monitoring.md). A call while another runs returns at once with
-- refreshed = false.
-- Result: refreshed, refreshed_from (the earliest start time recomputed; null: nothing changed),
-- watermark (what the next run looks back from), rows_written.
-- Never null: refreshed, rows_written.
-- SECURITY DEFINER: the scheduler (credits_service) refreshes without reading the raw tables.
create or replace function monitoring.refresh_rollups(p_full boolean default false)
returns table (refreshed boolean, refreshed_from timestamptz, watermark timestamptz, rows_written integer)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
#variable_conflict use_column
declare
  v_last timestamptz;
  v_in_flight_since timestamptz;
  v_since timestamptz;
  v_from timestamptz;
  v_hour timestamptz;
  v_day timestamptz;
  v_users uuid[]; -- null: every user (a full refresh)
  v_rows integer := 0;
  v_count integer;
  v_open timestamptz;
  v_margin interval;
begin
  if not pg_try_advisory_xact_lock(hashtext('monitoring.refresh_rollups')) then
    return query select false, null::timestamptz, null::timestamptz, 0;
    return;
  end if;
  -- Before reading any row: what is still open now can only commit rows stamped since then.
  v_open := credits_private.oldest_open_transaction();

  select s.watermark, s.in_flight_since into v_last, v_in_flight_since
    from monitoring.rollup_state s where s.name = 'rollups';
  select s.margin into v_margin from credits_private.sweeper_state s where s.name = 'sweeper';
  if coalesce(p_full, false) or v_last is null then
    v_from := '-infinity';
    v_in_flight_since := '-infinity';
  else
    v_since := v_last - coalesce(v_margin, interval '10 minutes');
    select min(c.created_at), array_agg(distinct c.account_id)
      into v_from, v_users
      from monitoring_private.changed_tasks(v_since, v_in_flight_since) c;
  end if;

  if v_from is not null then
    -- Recompute the hours from the UTC hour v_from falls in, then the days from the hours (from
    -- the start of v_from's day), the weeks and months from the raw rows.
    v_hour := date_trunc('hour', v_from, 'UTC');
    v_day := date_trunc('day', v_from, 'UTC');

    delete from monitoring.task_rollup_hourly r where r.hour >= v_hour;
    insert into monitoring.task_rollup_hourly select * from monitoring_private.task_rollup_source(v_hour, 'infinity');
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;
    delete from monitoring.task_rollup_daily r where r.day >= (v_day at time zone 'UTC')::date;
    insert into monitoring.task_rollup_daily
    select (h.hour at time zone 'UTC')::date, h.provider, h.model, h.task_type, sum(h.generations), sum(h.completed),
           sum(h.failed), sum(h.in_flight), sum(h.credits_charged), sum(h.credits_refunded), sum(h.refunded_tasks),
           sum(h.cost_usd), sum(h.latency_ms_sum), sum(h.latency_count), sum(h.unpriced), sum(h.failed_cost_usd),
           sum(h.credits_settled)
      from monitoring.task_rollup_hourly h where h.hour >= v_day group by 1, 2, 3, 4;
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;

    delete from monitoring.latency_rollup_hourly r where r.hour >= v_hour;
    insert into monitoring.latency_rollup_hourly select * from monitoring_private.latency_rollup_source(v_hour, 'infinity');
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;
    delete from monitoring.latency_rollup_daily r where r.day >= (v_day at time zone 'UTC')::date;
    insert into monitoring.latency_rollup_daily
    select (h.hour at time zone 'UTC')::date, h.provider, h.model, h.bucket, sum(h.tasks)
      from monitoring.latency_rollup_hourly h where h.hour >= v_day group by 1, 2, 3, 4;
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;

    delete from monitoring.failure_rollup_hourly r where r.hour >= v_hour;
    insert into monitoring.failure_rollup_hourly select * from monitoring_private.failure_rollup_source(v_hour, 'infinity');
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;
    delete from monitoring.failure_rollup_daily r where r.day >= (v_day at time zone 'UTC')::date;
    insert into monitoring.failure_rollup_daily
    select (h.hour at time zone 'UTC')::date, h.provider, h.model, h.failure_source, h.error, sum(h.failures)
      from monitoring.failure_rollup_hourly h where h.hour >= v_day group by 1, 2, 3, 4, 5;
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;

    -- Per user: only the users whose tasks changed (a month holds every active user).
    delete from monitoring.user_rollup_monthly r
     where r.month >= date_trunc('month', v_from at time zone 'UTC')::date and (v_users is null or r.user_id = any(v_users));
    insert into monitoring.user_rollup_monthly
    select * from monitoring_private.user_rollup_source(date_trunc('month', v_from at time zone 'UTC') at time zone 'UTC', 'infinity', v_users);
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;

    delete from monitoring.user_rollup_daily r
     where r.day >= (v_from at time zone 'UTC')::date and (v_users is null or r.user_id = any(v_users));
    insert into monitoring.user_rollup_daily
    select * from monitoring_private.user_day_rollup_source(date_trunc('day', v_from at time zone 'UTC') at time zone 'UTC', 'infinity', v_users);
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;
    v_rows := v_rows + monitoring_private.rebuild_user_windows((now() at time zone 'UTC')::date, v_users,
                                                            (v_from at time zone 'UTC')::date < (now() at time zone 'UTC')::date);

    delete from monitoring.activity_rollup_weekly r where r.week >= date_trunc('week', v_from at time zone 'UTC')::date;
    insert into monitoring.activity_rollup_weekly
    select * from monitoring_private.activity_rollup_source(date_trunc('week', v_from at time zone 'UTC') at time zone 'UTC', 'infinity');
    get diagnostics v_count = row_count;
    v_rows := v_rows + v_count;
  end if;

  -- A new day moves the windows of top users, even when no task changed.
  if (select e.through from monitoring.user_rollup_window_end e where e.days = 30) is distinct from (now() at time zone 'UTC')::date then
    v_rows := v_rows + monitoring_private.rebuild_user_windows((now() at time zone 'UTC')::date, '{}', false);
  end if;

  -- Where the next refresh must start reading to see every task that finishes meanwhile.
  v_in_flight_since := greatest(v_in_flight_since,
    credits_private.in_flight_horizon(coalesce(least(v_since, v_in_flight_since), '-infinity')));
  -- When the open transactions cannot be seen, the marks stay where they were (read more, miss nothing).
  v_last := coalesce(v_open, v_last, '-infinity');

  insert into monitoring.rollup_state as s (name, watermark, in_flight_since, refreshed_at, rows_written)
  values ('rollups', v_last, v_in_flight_since, clock_timestamp(), v_rows)
  on conflict (name) do update set watermark = excluded.watermark, in_flight_since = excluded.in_flight_since,
                                   refreshed_at = excluded.refreshed_at, rows_written = excluded.rows_written;
  return query select true, v_from, v_last, v_rows;
end;
$$;

comment on function monitoring.refresh_rollups(boolean) is
  'Recomputes the monitoring rollups for everything that changed since the last run (or all, with p_full).';
revoke all on function monitoring.refresh_rollups(boolean) from public, anon, authenticated;
grant execute on function monitoring.refresh_rollups(boolean) to credits_service;
