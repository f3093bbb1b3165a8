-- Up Migration
-- Unpriced completions (issue 10, item 6): a completed generation whose provider cost is unknown
-- (no cost in the callback and no provider_prices row) must not count as costing $0. The rollups
-- that carry cost gain the number of such completions per key, so the views can report it and
-- average cost over priced generations only. The rollups are derived data: the columns are
-- filled here from the raw rows (one pass over the tasks), and monitoring.refresh_rollups()
-- keeps them from then on (its sources, functions/credits_private/*_rollup_source.sql, define them).

alter table monitoring.task_rollup_daily add column unpriced integer not null default 0;
comment on column monitoring.task_rollup_daily.unpriced is 'Completed tasks with no provider cost (spend unknown).';
alter table monitoring.user_rollup_monthly add column unpriced integer not null default 0;
comment on column monitoring.user_rollup_monthly.unpriced is 'Completed tasks with no provider cost (spend unknown).';

update monitoring.task_rollup_daily r
   set unpriced = u.n
  from (select (t.created_at at time zone 'UTC')::date as day, t.provider, coalesce(t.model, '(unknown)') as model, t.task_type,
               count(*)::integer as n
          from public.enhancement_tasks t
         where t.status = 'completed' and t.provider_cost_usd is null
         group by 1, 2, 3, 4) u
 where r.day = u.day and r.provider = u.provider and r.model = u.model and r.task_type = u.task_type;

update monitoring.user_rollup_monthly r
   set unpriced = u.n
  from (select date_trunc('month', t.created_at at time zone 'UTC')::date as month, t.user_id, count(*)::integer as n
          from public.enhancement_tasks t
         where t.status = 'completed' and t.provider_cost_usd is null
         group by 1, 2) u
 where r.month = u.month and r.user_id = u.user_id;

-- Down Migration
-- Derived counts only (recomputed by the next up): nothing else is lost.
alter table monitoring.user_rollup_monthly drop column unpriced;
alter table monitoring.task_rollup_daily drop column unpriced;
