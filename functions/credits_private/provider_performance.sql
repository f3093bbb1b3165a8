-- provider_performance: what monitoring.provider_performance shows, for the tasks started since
-- p_since. A function so that it runs without JIT (it would compile for longer than the query
-- takes) whatever the caller's settings.
create or replace function credits_private.provider_performance(p_since timestamptz)
returns table (
  provider text, generations integer, completed integer, failed integer, success_rate numeric,
  latency_p50_ms numeric, latency_p95_ms numeric, cost_usd numeric, cost_per_success numeric
)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  return query execute $q$
    select t.provider,
           count(*)::integer,
           count(*) filter (where t.status = 'completed')::integer,
           count(*) filter (where t.status = 'failed')::integer,
           round(count(*) filter (where t.status = 'completed')::numeric
                 / nullif(count(*) filter (where t.status in ('completed', 'failed')), 0), 4),
           round((percentile_cont(0.5) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
                  filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1),
           round((percentile_cont(0.95) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
                  filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1),
           round(coalesce(sum(t.provider_cost_usd), 0), 6),
           round(sum(t.provider_cost_usd) / nullif(count(*) filter (where t.status = 'completed'), 0), 6)
      from public.enhancement_tasks t
     where t.created_at >= $1
     group by t.provider
  $q$ using p_since;
end;
$$;

comment on function credits_private.provider_performance(timestamptz) is
  'Per provider, for tasks started since p_since: success rate, latency p50/p95, cost.';
revoke all on function credits_private.provider_performance(timestamptz) from public;
