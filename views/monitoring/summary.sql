-- summary: the daily, weekly and monthly review in one view (granularity 'day', 'week',
-- 'month'; weeks start on Monday, all in UTC, by the time generations started): volume, success
-- rate against its threshold, credits charged and refunded, refund rate against its threshold,
-- provider cost and cost per generation. Reads the rollups (fresh to the last refresh).
-- Cost is known for failures (none unless one was passed) and for completions with a cost;
-- unpriced counts the completions without one, cost_coverage is the share of completions priced,
-- and cost_per_generation averages over priced generations only (an unknown cost is not $0).
-- failed_cost_usd: the spend on failed generations (refunded): spend without revenue, part of cost_usd.
-- Holds (contract §11): credits_charged is what the starts held; credits_refunded and the refund
-- rate count failures' refunds only; credits_settled is what settlements gave back (a hold larger
-- than the use is not a failure); credits_used what the generations finally cost.
-- Never null: granularity, period_start, generations, completed, failed, in_flight, success_below_threshold, credits_charged, credits_refunded, refund_above_threshold, cost_usd, unpriced, failed_cost_usd, credits_settled, credits_used.
create or replace view monitoring.summary as
with thresholds as (
  select t.success_rate_min, t.refund_rate_max from monitoring.threshold_values t
), periods as (
  select case when grouping(date_trunc('week', r.day::timestamp)) = 0 then 'week'
              when grouping(date_trunc('month', r.day::timestamp)) = 0 then 'month' else 'day' end as granularity,
         coalesce(date_trunc('week', r.day::timestamp), date_trunc('month', r.day::timestamp), r.day)::date as period_start,
         sum(r.generations)::integer as generations,
         sum(r.completed)::integer as completed,
         sum(r.failed)::integer as failed,
         sum(r.in_flight)::integer as in_flight,
         sum(r.credits_charged)::bigint as credits_charged,
         sum(r.credits_refunded)::bigint as credits_refunded,
         sum(r.cost_usd) as cost_usd,
         sum(r.unpriced)::integer as unpriced,
         sum(r.failed_cost_usd) as failed_cost_usd,
         sum(r.credits_settled)::bigint as credits_settled
    from monitoring.task_rollup_daily r
   group by grouping sets ((r.day), (date_trunc('week', r.day::timestamp)), (date_trunc('month', r.day::timestamp)))
)
select p.granularity,
       p.period_start,
       p.generations,
       p.completed,
       p.failed,
       p.in_flight,
       monitoring.success_rate(p.completed, p.failed) as success_rate,
       th.success_rate_min::float8 as success_rate_min,
       coalesce(monitoring.success_rate(p.completed, p.failed) < th.success_rate_min, false) as success_below_threshold,
       p.credits_charged,
       p.credits_refunded,
       monitoring.refund_rate(p.credits_refunded, p.credits_charged) as refund_rate,
       th.refund_rate_max::float8 as refund_rate_max,
       coalesce(monitoring.refund_rate(p.credits_refunded, p.credits_charged) > th.refund_rate_max, false) as refund_above_threshold,
       round(p.cost_usd, 6) as cost_usd,
       round(p.cost_usd / nullif(p.completed - p.unpriced + p.failed, 0), 6) as cost_per_generation,
       p.unpriced,
       round((p.completed - p.unpriced)::numeric / nullif(p.completed, 0), 4)::float8 as cost_coverage,
       round(p.failed_cost_usd, 6) as failed_cost_usd,
       p.credits_settled,
       p.credits_charged - p.credits_refunded - p.credits_settled as credits_used
  from periods p cross join thresholds th;

comment on view monitoring.summary is
  'Daily, weekly and monthly volume, success rate, refunds and provider cost, with threshold flags.';
revoke all on monitoring.summary from public;
grant select on monitoring.summary to credits_analyst;
