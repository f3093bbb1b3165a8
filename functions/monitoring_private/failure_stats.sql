-- failure_stats: failures per provider, model, source and error for the tasks started in
-- [p_from, p_to), exactly, from monitoring.failure_rollup_daily, failure_rollup_hourly and the
-- raw rows as rollup_parts splits the range (see task_stats).
-- p_as_of_refresh: from the daily rollups only, as of their last refresh (rollup_parts).
create or replace function monitoring_private.failure_stats(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (provider text, model text, failure_source text, error text, failures bigint)
language sql
stable
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
  with parts as (select * from monitoring_private.rollup_parts(p_from, p_to, p_as_of_refresh)),
  rows as (
    select s.provider, s.model, s.failure_source, s.error, s.failures
      from (select * from parts where parts.kind = 'raw') p, monitoring_private.failure_rollup_source(p.part_from, p.part_to) s
    union all
    select s.provider, s.model, s.failure_source, s.error, s.failures
      from parts p join monitoring.failure_rollup_hourly s on p.kind = 'hourly' and s.hour >= p.part_from and s.hour < p.part_to
    union all
    select s.provider, s.model, s.failure_source, s.error, s.failures
      from parts p join monitoring.failure_rollup_daily s
        on p.kind = 'daily' and s.day >= (p.part_from at time zone 'UTC')::date and s.day < (p.part_to at time zone 'UTC')::date
  )
  select p.provider, p.model, p.failure_source, p.error, sum(p.failures)::bigint
    from rows p
   group by 1, 2, 3, 4
$$;

comment on function monitoring_private.failure_stats(timestamptz, timestamptz, boolean) is
  'Exact failures per provider, model, source and error for tasks started in [p_from, p_to), rollups plus raw edges.';
revoke all on function monitoring_private.failure_stats(timestamptz, timestamptz, boolean) from public;
