-- usage_by_provider_model: generations per UTC day, provider, model and task type, with
-- outcomes, credits and cost; unpriced: completions whose cost is unknown (not in cost_usd).
-- Credits (contract §11): credits_charged is what the starts held, credits_refunded what
-- failures' refunds gave back, credits_settled what settlements gave back (a hold larger than
-- what the generation used: not a failure), credits_used what the generations finally cost.
-- Never null: day, provider, model, task_type, generations, completed, failed, in_flight, credits_charged, credits_refunded, cost_usd, unpriced, credits_settled, credits_used.
create or replace view monitoring.usage_by_provider_model as
select r.day, r.provider, r.model, r.task_type, r.generations, r.completed, r.failed, r.in_flight,
       monitoring.success_rate(r.completed, r.failed) as success_rate,
       r.credits_charged, r.credits_refunded, round(r.cost_usd, 6) as cost_usd, r.unpriced,
       r.credits_settled, r.credits_charged - r.credits_refunded - r.credits_settled as credits_used
  from monitoring.task_rollup_daily r;

comment on view monitoring.usage_by_provider_model is 'Generations, outcomes, credits and cost per day, provider, model and task type.';
revoke all on monitoring.usage_by_provider_model from public;
grant select on monitoring.usage_by_provider_model to credits_analyst;
