-- todays_health: the row of monitoring.platform_health (its definition: today's figures beside
-- the thresholds of monitoring.thresholds, each with its status). p_as_of_refresh (what
-- platform_health and the dashboard read): today's figures from today's rollup rows as of the
-- last refresh (rollups_refreshed_at), so the read costs the same whatever the daily volume, and
-- status is 'alert' when that refresh is older than rollups_stale_after_minutes or never ran
-- (rollups_status 'stale' or 'never': the figures cannot be trusted). Without it: today's figures
-- exact to the call (monitoring.todays_generations: today's hourly rollups, the raw rows of the
-- hours since the last refresh; admin_credit_stats' live document). Stuck tasks are counted live
-- either way (the tasks in flight, from the sweeper's low-water mark).
-- Never null: day, success_status, failures, failures_status, refund_status, stuck_tasks, stuck_status, cost_usd, unpriced, cost_status, status, rollups_status.
-- SECURITY DEFINER: platform_health's reader (credits_analyst) may not read the raw tasks.
create or replace function monitoring.todays_health(p_as_of_refresh boolean default false)
returns table (
  day date, success_rate double precision, success_rate_min double precision, success_status text,
  failures integer, failures_max double precision, failures_status text,
  refund_rate double precision, refund_rate_max double precision, refund_status text,
  stuck_tasks integer, stuck_tasks_max double precision, stuck_status text,
  cost_usd numeric, unpriced integer, cost_coverage double precision, cost_status text, status text,
  rollups_refreshed_at timestamptz, rollups_status text
)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
  with th as (
    select t.success_rate_min, t.refund_rate_max, t.failures_per_day_max as failures_max, t.stuck_tasks_max as stuck_max,
           t.stuck_after_minutes, t.rollups_stale_after_minutes as stale_after_minutes
      from monitoring.threshold_values t
  ), refreshed as (
    select (select s.refreshed_at from monitoring.rollup_state s where s.name = 'rollups') as at
  ), tasks as (
    select g.completed, g.failed, g.credits_charged as charged, g.credits_refunded as refunded, g.cost_usd, g.unpriced
      from monitoring.todays_generations() g
     where not p_as_of_refresh
    union all
    -- today's rollup rows as of the last refresh (the refresh rewrites today every run)
    select coalesce(sum(r.completed), 0), coalesce(sum(r.failed), 0), coalesce(sum(r.credits_charged), 0),
           coalesce(sum(r.credits_refunded), 0), coalesce(sum(r.cost_usd), 0), coalesce(sum(r.unpriced), 0)
      from monitoring.task_rollup_daily r
     where p_as_of_refresh and r.day = (now() at time zone 'UTC')::date
     having p_as_of_refresh
  ), stuck as (
    select count(*) as stuck
      from public.enhancement_tasks t, th
     where t.created_at >= coalesce((select s.since from credits_private.sweeper_state s where s.name = 'sweeper'), '-infinity')
       and t.status in ('pending', 'processing')
       and t.updated_at < now() - make_interval(mins => th.stuck_after_minutes::integer)
  ), figures as (
    select tasks.completed, tasks.failed,
           monitoring.success_rate(tasks.completed, tasks.failed) as success_rate,
           monitoring.refund_rate(tasks.refunded, tasks.charged) as refund_rate,
           tasks.cost_usd, tasks.unpriced,
           stuck.stuck
      from tasks, stuck
  ), freshness as (
    select r.at, case when r.at is null then 'never'
                      when r.at < now() - make_interval(mins => th.stale_after_minutes::integer) then 'stale'
                      else 'ok' end as status
      from refreshed r, th
  )
  select (now() at time zone 'UTC')::date as day,
         f.success_rate,
         th.success_rate_min::float8 as success_rate_min,
         case when f.success_rate is null then 'no_data' when f.success_rate < th.success_rate_min then 'alert' else 'ok' end as success_status,
         f.failed::integer as failures,
         th.failures_max::float8 as failures_max,
         case when f.failed > th.failures_max then 'alert' else 'ok' end as failures_status,
         f.refund_rate,
         th.refund_rate_max::float8 as refund_rate_max,
         case when f.refund_rate is null then 'no_data' when f.refund_rate > th.refund_rate_max then 'alert' else 'ok' end as refund_status,
         f.stuck::integer as stuck_tasks,
         th.stuck_max::float8 as stuck_tasks_max,
         case when f.stuck > th.stuck_max then 'alert' else 'ok' end as stuck_status,
         round(f.cost_usd, 6) as cost_usd,
         f.unpriced::integer as unpriced,
         round((f.completed - f.unpriced)::numeric / nullif(f.completed, 0), 4)::float8 as cost_coverage,
         case when f.completed = 0 then 'no_data' when f.unpriced > 0 then 'incomplete' else 'ok' end as cost_status,
         case when (f.success_rate < th.success_rate_min) or f.failed > th.failures_max
                   or (f.refund_rate > th.refund_rate_max) or f.stuck > th.stuck_max
                   or (p_as_of_refresh and r.status <> 'ok')
              then 'alert'
              when f.unpriced > 0 then 'warn'
              else 'ok' end as status,
         r.at as rollups_refreshed_at,
         r.status as rollups_status
    from figures f cross join th cross join freshness r
$$;

comment on function monitoring.todays_health(boolean) is
  'The platform_health row: today''s figures beside their thresholds, live or as of the last rollup refresh.';
revoke all on function monitoring.todays_health(boolean) from public, anon, authenticated;
grant execute on function monitoring.todays_health(boolean) to credits_analyst;
