-- latency_rollup_source: the definition of monitoring.latency_rollup_hourly for the tasks started
-- in [p_from, p_to): finished tasks per UTC hour, provider, model and latency bucket
-- (floor(ln(ms) / ln 1.1), under 1 ms in bucket 0; submitted → finished). The refresh writes its
-- rows; provider_performance_last_7_days reads it for the partial days; the tests compare it
-- with the rollup.
create or replace function monitoring_private.latency_rollup_source(p_from timestamptz, p_to timestamptz)
returns table (hour timestamptz, provider text, model text, bucket smallint, tasks integer)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  -- an empty range reads nothing (the BRIN index would still hand out a block range to recheck)
  if not p_from < p_to then return; end if;
  -- EXECUTE plans with the actual bounds, so the BRIN index on created_at serves the range.
  return query execute $q$
      select date_trunc('hour', t.created_at, 'UTC'), t.provider, coalesce(t.model, '(unknown)'),
             floor(ln(greatest(extract(epoch from t.completed_at - t.submitted_at) * 1000, 1)) / ln(1.1))::smallint,
             count(*)::integer
        from public.enhancement_tasks t
       where t.created_at >= $1 and t.created_at < $2
         and t.submitted_at is not null and t.completed_at is not null
       group by 1, 2, 3, 4
  $q$ using p_from, p_to;
end;
$$;

comment on function monitoring_private.latency_rollup_source(timestamptz, timestamptz) is
  'Raw-row definition of monitoring.latency_rollup_hourly for tasks started in [p_from, p_to).';
revoke all on function monitoring_private.latency_rollup_source(timestamptz, timestamptz) from public;
