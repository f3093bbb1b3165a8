-- task_stats: task figures per UTC day, provider, model and task type for the tasks started in
-- [p_from, p_to), exactly: the whole days rollup_bounds assigns to monitoring.task_rollup_daily
-- come from there, the edges from the raw rows (task_rollup_source). "The last 30 days" reads
-- about 30 small rollup rows per model and one partial day of raw rows.
-- p_as_of_refresh: from the rollups only, as of their last refresh (rollup_bounds).
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
  with b as (select * from monitoring_private.rollup_bounds(p_from, p_to, p_as_of_refresh)),
  parts as (
    select s.day, s.provider, s.model, s.task_type, s.generations, s.completed, s.failed, s.in_flight,
           s.credits_charged, s.credits_refunded, s.refunded_tasks, s.cost_usd, s.unpriced, s.failed_cost_usd, s.credits_settled
      from b, monitoring_private.task_rollup_source(p_from, b.head_to) s
    union all
    select r.day, r.provider, r.model, r.task_type, r.generations, r.completed, r.failed, r.in_flight,
           r.credits_charged, r.credits_refunded, r.refunded_tasks, r.cost_usd, r.unpriced, r.failed_cost_usd, r.credits_settled
      from b, monitoring.task_rollup_daily r
     where r.day >= (b.first_day at time zone 'UTC')::date and r.day < (b.cut at time zone 'UTC')::date
    union all
    select s.day, s.provider, s.model, s.task_type, s.generations, s.completed, s.failed, s.in_flight,
           s.credits_charged, s.credits_refunded, s.refunded_tasks, s.cost_usd, s.unpriced, s.failed_cost_usd, s.credits_settled
      from b, monitoring_private.task_rollup_source(b.tail_from, p_to) s
  )
  select p.day, p.provider, p.model, p.task_type, sum(p.generations)::bigint, sum(p.completed)::bigint, sum(p.failed)::bigint,
         sum(p.in_flight)::bigint, sum(p.credits_charged), sum(p.credits_refunded), sum(p.refunded_tasks)::bigint, sum(p.cost_usd),
         sum(p.unpriced)::bigint, sum(p.failed_cost_usd), sum(p.credits_settled)
    from parts p
   group by 1, 2, 3, 4
$$;

comment on function monitoring_private.task_stats(timestamptz, timestamptz, boolean) is
  'Exact task figures per UTC day, provider, model and task type for tasks started in [p_from, p_to), rollups plus raw edges.';
revoke all on function monitoring_private.task_stats(timestamptz, timestamptz, boolean) from public;
