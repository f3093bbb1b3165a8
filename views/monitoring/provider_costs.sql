-- provider_costs: what each provider and model cost the platform per day, week and month
-- (granularity as in monitoring.summary), and its share of that period's spend. unpriced: the
-- completions without a known cost; averages are over priced generations only (failures and
-- completions with a cost), cost_coverage the share of completions priced. The margin
-- (contract §11): credits_used, what the generations finally cost the users (holds less
-- failures' refunds and settlements), against cost_usd: cost_per_credit_used, the USD the
-- platform paid per credit it kept (null without credits used).
-- Never null: granularity, period_start, provider, model, generations, completed, failed, cost_usd, unpriced, credits_used.
create or replace view monitoring.provider_costs as
with periods as (
  select case when grouping(date_trunc('week', r.day::timestamp)) = 0 then 'week'
              when grouping(date_trunc('month', r.day::timestamp)) = 0 then 'month' else 'day' end as granularity,
         coalesce(date_trunc('week', r.day::timestamp), date_trunc('month', r.day::timestamp), r.day)::date as period_start,
         r.provider, r.model,
         sum(r.generations)::integer as generations,
         sum(r.completed)::integer as completed,
         sum(r.failed)::integer as failed,
         sum(r.cost_usd) as cost_usd,
         sum(r.unpriced)::integer as unpriced,
         sum(r.credits_charged - r.credits_refunded - r.credits_settled)::bigint as credits_used
    from monitoring.task_rollup_daily r
   group by grouping sets ((r.day, r.provider, r.model), (date_trunc('week', r.day::timestamp), r.provider, r.model),
                           (date_trunc('month', r.day::timestamp), r.provider, r.model))
)
select p.granularity, p.period_start, p.provider, p.model, p.generations, p.completed, p.failed,
       round(p.cost_usd, 6) as cost_usd,
       round(p.cost_usd / nullif(p.completed - p.unpriced + p.failed, 0), 6) as cost_per_generation,
       round(p.cost_usd / nullif(p.completed - p.unpriced, 0), 6) as cost_per_success,
       round(p.cost_usd / nullif(sum(p.cost_usd) over (partition by p.granularity, p.period_start), 0), 4)::float8 as share_of_cost,
       p.unpriced,
       round((p.completed - p.unpriced)::numeric / nullif(p.completed, 0), 4)::float8 as cost_coverage,
       p.credits_used,
       round(p.cost_usd / nullif(p.credits_used, 0), 6) as cost_per_credit_used
  from periods p;

comment on view monitoring.provider_costs is 'Provider cost by model per day, week and month, with its share of the period''s spend.';
revoke all on monitoring.provider_costs from public;
grant select on monitoring.provider_costs to credits_analyst;
