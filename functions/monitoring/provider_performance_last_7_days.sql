-- provider_performance_last_7_days: what monitoring.provider_performance shows, for the tasks
-- started in the last 7 days. A function so that it runs without JIT (it would compile for longer
-- than the query takes) whatever the caller's settings.
-- Never null: provider, generations, completed, failed, cost_usd, unpriced.
-- SECURITY DEFINER: the view's reader (credits_analyst) may not read the raw tasks, and a
-- function called from a view runs with its caller's EXECUTE right, so this one lives in
-- schema monitoring, granted like the view. It takes no argument: the analyst gets the 7-day
-- panel, not a scan of any range they choose.
-- unpriced: completions without a known cost; cost_per_success is over priced completions only,
-- cost_coverage the share of completions priced.
create or replace function monitoring.provider_performance_last_7_days()
returns table (
  provider text, generations integer, completed integer, failed integer, success_rate double precision,
  latency_p50_ms double precision, latency_p95_ms double precision, cost_usd numeric, cost_per_success numeric,
  unpriced integer, cost_coverage double precision
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  -- EXECUTE plans with the actual bound, so the BRIN index on created_at serves the range.
  return query execute $q$
    select t.provider,
           count(*)::integer,
           count(*) filter (where t.status = 'completed')::integer,
           count(*) filter (where t.status = 'failed')::integer,
           round(count(*) filter (where t.status = 'completed')::numeric
                 / nullif(count(*) filter (where t.status in ('completed', 'failed')), 0), 4)::float8,
           round((percentile_cont(0.5) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
                  filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1)::float8,
           round((percentile_cont(0.95) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
                  filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1)::float8,
           round(coalesce(sum(t.provider_cost_usd), 0), 6),
           round(sum(t.provider_cost_usd)
                 / nullif(count(*) filter (where t.status = 'completed' and t.provider_cost_usd is not null), 0), 6),
           count(*) filter (where t.status = 'completed' and t.provider_cost_usd is null)::integer,
           round(count(*) filter (where t.status = 'completed' and t.provider_cost_usd is not null)::numeric
                 / nullif(count(*) filter (where t.status = 'completed'), 0), 4)::float8
      from public.enhancement_tasks t
     where t.created_at >= $1
     group by t.provider
  $q$ using now() - interval '7 days';
end;
$$;

comment on function monitoring.provider_performance_last_7_days() is
  'Per provider, for tasks started in the last 7 days: success rate, latency p50/p95, cost.';
revoke all on function monitoring.provider_performance_last_7_days() from public, anon, authenticated;
grant execute on function monitoring.provider_performance_last_7_days() to credits_analyst;
