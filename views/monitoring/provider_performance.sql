-- provider_performance: the weekly provider comparison over the last 7 UTC days (tasks started
-- today and the 6 days before, as of the last refresh of the rollups): success rate, latency from
-- submission to result (p50 and p95, in milliseconds, over submitted tasks that finished; from
-- the latency histograms, within 4.9 %), cost, cost per success
-- (over priced completions), completions without a known cost (unpriced) and cost_coverage.
-- Reads through monitoring.provider_performance_last_7_days(), which the analyst may execute.
-- Never null: provider, generations, completed, failed, cost_usd, unpriced.
create or replace view monitoring.provider_performance as
select p.provider, p.generations, p.completed, p.failed, p.success_rate, p.latency_p50_ms, p.latency_p95_ms,
       p.cost_usd, p.cost_per_success, p.unpriced, p.cost_coverage
  from monitoring.provider_performance_last_7_days() p;

comment on view monitoring.provider_performance is
  'Per provider over the last 7 days: success rate, latency p50/p95 (submitted to finished), cost.';
revoke all on monitoring.provider_performance from public;
grant select on monitoring.provider_performance to credits_analyst;
