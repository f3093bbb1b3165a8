-- provider_performance: the weekly provider comparison over the last 7 days (tasks started since
-- now() - 7 days, read from the raw rows): success rate, latency from submission to result
-- (p50 and p95, in milliseconds, over submitted tasks that finished), cost and cost per success.
create or replace view monitoring.provider_performance as
select t.provider,
       count(*)::integer as generations,
       count(*) filter (where t.status = 'completed')::integer as completed,
       count(*) filter (where t.status = 'failed')::integer as failed,
       round(count(*) filter (where t.status = 'completed')::numeric
             / nullif(count(*) filter (where t.status in ('completed', 'failed')), 0), 4) as success_rate,
       round((percentile_cont(0.5) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
              filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1) as latency_p50_ms,
       round((percentile_cont(0.95) within group (order by extract(epoch from t.completed_at - t.submitted_at) * 1000)
              filter (where t.submitted_at is not null and t.completed_at is not null))::numeric, 1) as latency_p95_ms,
       round(coalesce(sum(t.provider_cost_usd), 0), 6) as cost_usd,
       round(sum(t.provider_cost_usd) / nullif(count(*) filter (where t.status = 'completed'), 0), 6) as cost_per_success
  from public.enhancement_tasks t
 where t.created_at >= now() - interval '7 days'
 group by t.provider;

comment on view monitoring.provider_performance is
  'Per provider over the last 7 days: success rate, latency p50/p95 (submitted to finished), cost.';
revoke all on monitoring.provider_performance from public;
grant select on monitoring.provider_performance to credits_analyst;
