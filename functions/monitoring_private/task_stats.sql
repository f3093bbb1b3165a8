-- task_stats: task figures per UTC day, provider, model and task type for the tasks started in
-- [p_from, p_to), exactly: each part rollup_parts gives is read from monitoring.task_rollup_daily,
-- task_rollup_hourly or the raw rows (task_rollup_source). "The last 30 days" reads about 30
-- daily and 40 hourly rollup rows per model, and the raw rows of an hour or two.
-- p_as_of_refresh: from the daily rollups only, as of their last refresh (rollup_parts).
create or replace function monitoring_private.task_stats(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (
  day date, provider text, model text, task_type text,
  generations bigint, completed bigint, failed bigint, in_flight bigint,
  credits_charged numeric, credits_refunded numeric, refunded_tasks bigint, cost_usd numeric, unpriced bigint,
  failed_cost_usd numeric, credits_settled numeric
)
language sql
stable
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
  with parts as (select * from monitoring_private.rollup_parts(p_from, p_to, p_as_of_refresh)),
  rows as (
    select (s.hour at time zone 'UTC')::date as day, s.provider, s.model, s.task_type, s.generations, s.completed, s.failed, s.in_flight,
           s.credits_charged, s.credits_refunded, s.refunded_tasks, s.cost_usd, s.unpriced, s.failed_cost_usd, s.credits_settled
      from (select * from parts where parts.kind = 'raw') p, monitoring_private.task_rollup_source(p.part_from, p.part_to) s
    union all
    select (s.hour at time zone 'UTC')::date, s.provider, s.model, s.task_type, s.generations, s.completed, s.failed, s.in_flight,
           s.credits_charged, s.credits_refunded, s.refunded_tasks, s.cost_usd, s.unpriced, s.failed_cost_usd, s.credits_settled
      from parts p join monitoring.task_rollup_hourly s on p.kind = 'hourly' and s.hour >= p.part_from and s.hour < p.part_to
    union all
    select s.day, s.provider, s.model, s.task_type, s.generations, s.completed, s.failed, s.in_flight,
           s.credits_charged, s.credits_refunded, s.refunded_tasks, s.cost_usd, s.unpriced, s.failed_cost_usd, s.credits_settled
      from parts p join monitoring.task_rollup_daily s
        on p.kind = 'daily' and s.day >= (p.part_from at time zone 'UTC')::date and s.day < (p.part_to at time zone 'UTC')::date
  )
  select p.day, p.provider, p.model, p.task_type, sum(p.generations)::bigint, sum(p.completed)::bigint, sum(p.failed)::bigint,
         sum(p.in_flight)::bigint, sum(p.credits_charged), sum(p.credits_refunded), sum(p.refunded_tasks)::bigint, sum(p.cost_usd),
         sum(p.unpriced)::bigint, sum(p.failed_cost_usd), sum(p.credits_settled)
    from rows p
   group by 1, 2, 3, 4
$$;

comment on function monitoring_private.task_stats(timestamptz, timestamptz, boolean) is
  'Exact task figures per UTC day, provider, model and task type for tasks started in [p_from, p_to), rollups plus raw edges.';
revoke all on function monitoring_private.task_stats(timestamptz, timestamptz, boolean) from public;
