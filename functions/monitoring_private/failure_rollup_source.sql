-- failure_rollup_source: the definition of monitoring.failure_rollup_hourly for the tasks started
-- in [p_from, p_to). Errors are grouped by monitoring_private.error_group (ids, times and long
-- numbers folded to '#'; statuses and short numbers kept).
create or replace function monitoring_private.failure_rollup_source(p_from timestamptz, p_to timestamptz)
returns table (hour timestamptz, provider text, model text, failure_source text, error text, failures integer)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
begin
  -- an empty range reads nothing (the BRIN index would still hand out a block range to recheck)
  if not p_from < p_to then return; end if;
  -- EXECUTE plans with the actual bounds, so the BRIN index on created_at serves the range
  -- (a plain SQL body with a pinned search_path is not inlined and gets a generic plan).
  return query execute $q$
      select date_trunc('hour', t.created_at, 'UTC'), t.provider, coalesce(t.model, '(unknown)'),
             coalesce(t.failure_source, 'unknown'),
             monitoring_private.error_group(t.error_message),
             count(*)::integer
        from public.enhancement_tasks t
       where t.status = 'failed' and t.created_at >= $1 and t.created_at < $2
       group by 1, 2, 3, 4, 5
  $q$ using p_from, p_to;
end;
$$;

comment on function monitoring_private.failure_rollup_source(timestamptz, timestamptz) is
  'Raw-row definition of monitoring.failure_rollup_hourly for tasks started in [p_from, p_to).';
revoke all on function monitoring_private.failure_rollup_source(timestamptz, timestamptz) from public;
