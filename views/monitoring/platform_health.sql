-- platform_health: one row, today (UTC) from the raw rows, each figure beside its threshold and
-- a status ('ok', 'alert', or 'no_data' for a rate with nothing to measure yet): the success
-- rate of the generations started today that have finished, their failures, their refund rate
-- (monitoring.refund_rate: credits refunded / charged of the generations started today, so a
-- backfill of old failures does not move it) and tasks stuck in flight right now. Today's
-- figures come from monitoring.todays_generations() (the rollups' definition). Beside them,
-- today's known spend: cost_usd, the completions without a known cost (unpriced), the share of
-- completions priced (cost_coverage) and cost_status 'incomplete' when some are unpriced (today's
-- spend is then more than cost_usd says). status: 'alert' when a threshold is crossed, else
-- 'warn' when today's spend is incomplete, else 'ok' (an unknown price is a warning, not an outage).
-- Never null: day, success_status, failures, failures_status, refund_status, stuck_tasks, stuck_status, cost_usd, unpriced, cost_status, status.
create or replace view monitoring.platform_health as
with th as (
  select max(value) filter (where name = 'success_rate_min') as success_rate_min,
         max(value) filter (where name = 'refund_rate_max') as refund_rate_max,
         max(value) filter (where name = 'failures_per_day_max') as failures_max,
         max(value) filter (where name = 'stuck_tasks_max') as stuck_max,
         max(value) filter (where name = 'stuck_after_minutes') as stuck_after_minutes
    from monitoring.thresholds
), tasks as (
  select g.completed, g.failed, g.credits_charged as charged, g.credits_refunded as refunded, g.cost_usd, g.unpriced
    from monitoring.todays_generations() g
), stuck as (
  select count(*) as stuck
    from public.enhancement_tasks t, th
   where t.created_at >= coalesce((select s.since from credits_private.sweeper_state s where s.name = 'sweeper'), '-infinity')
     and t.status in ('pending', 'processing')
     and t.updated_at < now() - make_interval(mins => th.stuck_after_minutes::integer)
), figures as (
  select tasks.completed, tasks.failed,
         tasks.completed::numeric / nullif(tasks.completed + tasks.failed, 0) as success_rate,
         monitoring.refund_rate(tasks.refunded, tasks.charged) as refund_rate,
         tasks.cost_usd, tasks.unpriced,
         stuck.stuck
    from tasks, stuck
)
select (now() at time zone 'UTC')::date as day,
       round(f.success_rate, 4)::float8 as success_rate,
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
            then 'alert'
            when f.unpriced > 0 then 'warn'
            else 'ok' end as status,
       (select s.refreshed_at from monitoring.rollup_state s where s.name = 'rollups') as rollups_refreshed_at
  from figures f cross join th;

comment on view monitoring.platform_health is
  'Today''s success rate, failures, refund rate and stuck tasks, each with its threshold and status, and today''s spend with its unpriced completions.';
revoke all on monitoring.platform_health from public;
grant select on monitoring.platform_health to credits_analyst;
