-- task_rollup_source: the definition of monitoring.task_rollup_hourly (the daily rollup is its sum
-- per UTC day), computed from the raw rows for the tasks started in [p_from, p_to), per UTC hour.
-- The refresh writes its rows; the live reads (task_stats) read it for the hours the rollups do not
-- cover exactly; the tests compare it with the rollups.
-- Credits charged, refunded (failures) and settled back come from credits_private.task_credits
-- (credits used = charged - refunded - settled), cost and latency from
-- the tasks; latency is submitted → finished, for tasks that were submitted. unpriced counts the
-- completed tasks with no provider cost: their spend is unknown, not $0 (a failure without a
-- cost costs nothing, by the contract, so it is priced). failed_cost_usd is the cost of the failed
-- tasks (a cost passed with the failure, or a late success): spend without revenue.
create or replace function monitoring_private.task_rollup_source(p_from timestamptz, p_to timestamptz)
returns table (
  hour timestamptz, provider text, model text, task_type text,
  generations integer, completed integer, failed integer, in_flight integer,
  credits_charged bigint, credits_refunded bigint, refunded_tasks integer, cost_usd numeric,
  latency_ms_sum bigint, latency_count integer, unpriced integer, failed_cost_usd numeric,
  credits_settled bigint
)
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
      select date_trunc('hour', t.created_at, 'UTC'), t.provider, coalesce(t.model, '(unknown)'), t.task_type,
             count(*)::integer,
             count(*) filter (where t.status = 'completed')::integer,
             count(*) filter (where t.status = 'failed')::integer,
             count(*) filter (where t.status in ('pending', 'processing'))::integer,
             coalesce(sum(t.charged), 0)::bigint,
             coalesce(sum(t.refunded), 0)::bigint,
             count(*) filter (where t.refunded > 0)::integer,
             coalesce(sum(t.provider_cost_usd), 0),
             coalesce(sum(round(extract(epoch from t.completed_at - t.submitted_at) * 1000))
                      filter (where t.submitted_at is not null and t.completed_at is not null), 0)::bigint,
             count(*) filter (where t.submitted_at is not null and t.completed_at is not null)::integer,
             count(*) filter (where t.status = 'completed' and t.provider_cost_usd is null)::integer,
             coalesce(sum(t.provider_cost_usd) filter (where t.status = 'failed'), 0),
             coalesce(sum(t.settled), 0)::bigint
        from credits_private.task_credits t
       where t.created_at >= $1 and t.created_at < $2
       group by 1, 2, 3, 4
  $q$ using p_from, p_to;
end;
$$;

comment on function monitoring_private.task_rollup_source(timestamptz, timestamptz) is
  'Raw-row definition of monitoring.task_rollup_hourly for tasks started in [p_from, p_to).';
revoke all on function monitoring_private.task_rollup_source(timestamptz, timestamptz) from public;
