-- optimization_hints: models worth a look over the last 30 days: those whose failure rate, or
-- cost per successful generation, is at least hint_factor times their provider's, among models
-- with at least hint_min_generations generations. Cost per success is over priced completions
-- only (a completion without a known cost would make a model look cheaper than it is).
-- Never null: provider, model, generations, hint.
create or replace view monitoring.optimization_hints as
with th as (
  select t.hint_factor as factor, t.hint_min_generations as min_generations from monitoring.threshold_values t
), models as (
  select r.provider, r.model, sum(r.generations) as generations, sum(r.completed) as completed,
         sum(r.failed) as failed, sum(r.cost_usd) as cost_usd, sum(r.completed - r.unpriced) as priced_completed
    from monitoring.task_rollup_daily r
   where r.day >= (now() at time zone 'UTC')::date - 30
   group by 1, 2
), rates as (
  select m.*,
         m.failed::numeric / nullif(m.completed + m.failed, 0) as failure_rate,
         m.cost_usd / nullif(m.priced_completed, 0) as cost_per_success,
         sum(m.failed) over w::numeric / nullif(sum(m.completed + m.failed) over w, 0) as provider_failure_rate,
         sum(m.cost_usd) over w / nullif(sum(m.priced_completed) over w, 0) as provider_cost_per_success
    from models m
  window w as (partition by m.provider)
)
select r.provider, r.model, r.generations::integer,
       round(r.failure_rate, 4)::float8 as failure_rate, round(r.provider_failure_rate, 4)::float8 as provider_failure_rate,
       round(r.cost_per_success, 6) as cost_per_success, round(r.provider_cost_per_success, 6) as provider_cost_per_success,
       concat_ws('; ',
         case when r.failure_rate >= th.factor * r.provider_failure_rate and r.failure_rate > 0
              then format('fails %s× as often as %s overall', round(r.failure_rate / nullif(r.provider_failure_rate, 0), 1), r.provider) end,
         case when r.cost_per_success >= th.factor * r.provider_cost_per_success
              then format('costs %s× %s''s average per success', round(r.cost_per_success / nullif(r.provider_cost_per_success, 0), 1), r.provider) end
       ) as hint
  from rates r cross join th
 where r.generations >= th.min_generations
   and ((r.failure_rate >= th.factor * r.provider_failure_rate and r.failure_rate > 0)
        or r.cost_per_success >= th.factor * r.provider_cost_per_success);

comment on view monitoring.optimization_hints is
  'Models whose failure rate or cost per success stands out against their provider over 30 days.';
revoke all on monitoring.optimization_hints from public;
grant select on monitoring.optimization_hints to credits_analyst;
