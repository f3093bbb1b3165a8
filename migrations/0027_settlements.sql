-- Up Migration
-- Holds settled at the real cost (issue 26, contract §11): start_generation's charge is a hold,
-- complete_generation settles it at what the generation used and gives the rest back as one
-- 'refund' row with origin 'settlement' (the ledger's row check, a definition, knows the origin).
-- 1. enhancement_tasks.credits_settled_back: what the settlement gave back (null: nothing, the
--    whole hold was used, or the task is not completed). What a generation finally cost is
--    credits_used - coalesce(credits_settled_back, 0) once completed; tasks completed before
--    this migration need no rewrite. Nullable with no default: adding it rewrites nothing. Not in
--    the row check (each column a CHECK reads costs every write of a task, docs/performance.md):
--    verify_ledger proves it against the ledger. The units a provider reports are not kept on
--    the task (each column of the table costs every charge and completion a little): the cost
--    computed from them is (provider_cost_usd).
-- 2. provider_prices.unit: null, a price per generation (as before); 'second', 'output' or
--    'megapixel', a price per unit of what the provider reported.
-- 3. credits_private.provider_results keeps a result's credits used, units and outputs delivered
--    until its submission is recorded (mark_generation_submitted applies them).
-- 4. public.period_statement.settled (below).
-- 5. monitoring.task_rollup_daily.credits_settled and user_rollup_monthly.credits_settled: what
--    settlements gave back, apart from the failures' refunds. No settlement exists yet, so 0 is
--    every stored row's figure.
alter table public.enhancement_tasks add column credits_settled_back bigint;
comment on column public.enhancement_tasks.credits_settled_back is
  'Credits the settlement of a completed task gave back (its hold less what it used); null when none.';
-- end users see what their generation finally cost (my_generations), never the upstream figures
grant select (credits_settled_back) on public.enhancement_tasks to authenticated;

alter table public.provider_prices add column unit text
  constraint provider_prices_unit_check check (unit in ('second', 'output', 'megapixel'));
comment on column public.provider_prices.unit is
  'Null: cost_usd is per generation. second, output or megapixel: cost_usd is per unit the provider reports.';

alter table credits_private.provider_results
  add column credits_used integer, add column provider_units numeric, add column outputs_delivered integer;

alter table monitoring.task_rollup_daily add column credits_settled bigint not null default 0;
comment on column monitoring.task_rollup_daily.credits_settled is
  'Credits settlements gave back (holds larger than what the generations used); not refunds of failures.';
alter table monitoring.user_rollup_monthly add column credits_settled bigint not null default 0;
comment on column monitoring.user_rollup_monthly.credits_settled is
  'Credits settlements gave back to the user (holds larger than what the generations used); not refunds of failures.';

-- A statement's settlements of an earlier month's charges (credits_private.statement_of): a
-- settlement of this month's charge lowers `used`, one of an earlier month's is `settled`, so
-- that `used` is never negative and the statement still adds up.
alter type public.period_statement add attribute settled bigint;

-- Up again after a down: the figures come back from archive (run monitoring.refresh_rollups(true)
-- afterwards to count the settlements in the rollups again).
do $$
begin
  if to_regclass('archive.m0027_tasks') is not null then
    update public.enhancement_tasks t
       set credits_settled_back = a.credits_settled_back
      from archive.m0027_tasks a where a.id = t.id;
    drop table archive.m0027_tasks;
  end if;
  if to_regclass('archive.m0027_prices') is not null then
    insert into public.provider_prices (provider, model, cost_usd, effective_from, unit)
    select a.provider, a.model, a.cost_usd, a.effective_from, a.unit from archive.m0027_prices a
    on conflict on constraint provider_prices_pkey do nothing;
    drop table archive.m0027_prices;
  end if;
  if to_regclass('archive.m0027_results') is not null then
    update credits_private.provider_results r
       set credits_used = a.credits_used, provider_units = a.provider_units, outputs_delivered = a.outputs_delivered
      from archive.m0027_results a
     where (a.provider, a.external_task_id) = (r.provider, r.external_task_id);
    drop table archive.m0027_results;
  end if;
end;
$$;

-- Down Migration
-- The deploy drops every definition before migrations run down. The settlements stay in the
-- ledger (refund rows with origin 'settlement', balances unchanged); the figures the columns
-- held, and the prices per unit, are kept in archive. The earlier verify_ledger reports a settled task as
-- refund_not_failed: it knows no settlement.
create schema if not exists archive;
drop table if exists archive.m0027_tasks, archive.m0027_prices, archive.m0027_results;
create table archive.m0027_results as
  select provider, external_task_id, credits_used, provider_units, outputs_delivered from credits_private.provider_results
   where credits_used is not null or provider_units is not null or outputs_delivered is not null;
create table archive.m0027_tasks as
  select id, credits_settled_back from public.enhancement_tasks where credits_settled_back is not null;
-- Prices per unit leave with their unit: an earlier release would take them for prices per
-- generation. They come back with the next up.
create table archive.m0027_prices as select * from public.provider_prices where unit is not null;
delete from public.provider_prices where unit is not null;
alter type public.period_statement drop attribute settled;
alter table monitoring.task_rollup_daily drop column credits_settled;
alter table monitoring.user_rollup_monthly drop column credits_settled;
alter table credits_private.provider_results
  drop column credits_used, drop column provider_units, drop column outputs_delivered;
alter table public.provider_prices drop column unit;
alter table public.enhancement_tasks drop column credits_settled_back;
