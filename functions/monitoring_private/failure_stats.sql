-- failure_stats: failures per provider, model, source and error for the tasks started in
-- [p_from, p_to), exactly, split between monitoring.failure_rollup_daily and the raw rows as
-- rollup_bounds says (see task_stats).
-- p_as_of_refresh: from the rollups only, as of their last refresh (rollup_bounds).
create or replace function monitoring_private.failure_stats(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (provider text, model text, failure_source text, error text, failures bigint)
language sql
stable
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
  with b as (select * from monitoring_private.rollup_bounds(p_from, p_to, p_as_of_refresh)),
  parts as (
    select s.provider, s.model, s.failure_source, s.error, s.failures
      from b, monitoring_private.failure_rollup_source(p_from, b.head_to) s
    union all
    select r.provider, r.model, r.failure_source, r.error, r.failures
      from b, monitoring.failure_rollup_daily r
     where r.day >= (b.first_day at time zone 'UTC')::date and r.day < (b.cut at time zone 'UTC')::date
    union all
    select s.provider, s.model, s.failure_source, s.error, s.failures
      from b, monitoring_private.failure_rollup_source(b.tail_from, p_to) s
  )
  select p.provider, p.model, p.failure_source, p.error, sum(p.failures)::bigint
    from parts p
   group by 1, 2, 3, 4
$$;

comment on function monitoring_private.failure_stats(timestamptz, timestamptz, boolean) is
  'Exact failures per provider, model, source and error for tasks started in [p_from, p_to), rollups plus raw edges.';
revoke all on function monitoring_private.failure_stats(timestamptz, timestamptz, boolean) from public;
