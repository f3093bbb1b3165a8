-- feature_popularity: the monthly ranking of features (task types) and models by generations,
-- with each one's share of the month.
-- Never null: month, task_type, model, generations, completed, credits_charged, rank_in_month.
create or replace view monitoring.feature_popularity as
with monthly as (
  select date_trunc('month', r.day::timestamp)::date as month, r.task_type, r.model,
         sum(r.generations)::integer as generations, sum(r.completed)::integer as completed,
         sum(r.credits_charged)::bigint as credits_charged
    from monitoring.task_rollup_daily r
   group by 1, 2, 3
)
select m.month, m.task_type, m.model, m.generations, m.completed, m.credits_charged,
       round(m.generations::numeric / sum(m.generations) over (partition by m.month), 4)::float8 as share_of_month,
       rank() over (partition by m.month order by m.generations desc)::integer as rank_in_month
  from monthly m;

comment on view monitoring.feature_popularity is 'Generations per month, task type and model, ranked, with their share.';
revoke all on monitoring.feature_popularity from public;
grant select on monitoring.feature_popularity to credits_analyst;
