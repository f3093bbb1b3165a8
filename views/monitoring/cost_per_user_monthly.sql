-- cost_per_user_monthly: what each user's generations cost the platform per UTC month, beside
-- the credits they were charged (query one month, ordered by cost: an index serves it).
-- unpriced: completions whose cost is unknown; cost_per_generation averages over priced
-- generations only, cost_coverage is the share of completions priced. credits_charged is what the
-- starts held, credits_refunded the failures' refunds, credits_settled what settlements gave back
-- (contract §11), credits_spent what the user's generations finally cost.
-- Never null: month, user_id, generations, completed, failed, credits_charged, credits_refunded, credits_spent, cost_usd, unpriced, credits_settled.
create or replace view monitoring.cost_per_user_monthly as
select u.month, u.user_id, u.generations, u.completed, u.failed, u.credits_charged, u.credits_refunded,
       u.credits_charged - u.credits_refunded - u.credits_settled as credits_spent,
       u.cost_usd,
       round(u.cost_usd / nullif(u.completed - u.unpriced + u.failed, 0), 6) as cost_per_generation,
       u.unpriced,
       round((u.completed - u.unpriced)::numeric / nullif(u.completed, 0), 4)::float8 as cost_coverage,
       u.credits_settled
  from monitoring.user_rollup_monthly u;

comment on view monitoring.cost_per_user_monthly is 'Provider cost and credits per user and month.';
revoke all on monitoring.cost_per_user_monthly from public;
grant select on monitoring.cost_per_user_monthly to credits_analyst;
