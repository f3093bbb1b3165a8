-- Up Migration
-- The provider glue's state (issue 12): results that arrive before their submission is
-- recorded, the reconciliation's leases, late successes of failed tasks and the rollups'
-- spend on failed generations.
--
-- 1. credits_private.provider_results. A provider can
-- call the webhook before the commit of mark_generation_submitted: no task has that prediction id
-- yet. Such a result waits here, keyed by the provider's job id, and mark_generation_submitted
-- applies it when it records that id (both take the same transaction-scoped advisory lock on the
-- job id, so one of the two always sees the other's commit: record_provider_result,
-- functions/record_provider_result.sql). A result whose submission is never recorded (the answer
-- to the submission was lost) stays unapplied: it is the trace of a generation the platform paid
-- for without a task, and what a reconciliation or an operator can look at.

create table credits_private.provider_results (
  provider text not null,
  external_task_id text not null,
  status text not null constraint provider_results_status_check check (status in ('completed', 'failed')),
  provider_cost_usd numeric(10, 4),
  result_url text,
  error_message text,
  -- the provider's document as received (the signed body's JSON), for the record
  payload jsonb not null default '{}',
  received_at timestamptz not null default now(),
  -- set when applied to its task (by mark_generation_submitted), with that task's id
  applied_at timestamptz,
  task_id uuid,
  constraint provider_results_pkey primary key (provider, external_task_id)
);
comment on table credits_private.provider_results is
  'Provider results (webhooks) received before their task recorded the job id; applied by mark_generation_submitted.';
revoke all on credits_private.provider_results from public;

-- 2. credits_private.reconcile_leases: when a reconciliation last took a task in flight to ask
--    its provider about it (claim_generations_to_reconcile). A task taken less than a lease ago
--    is skipped, so two reconcilers running at once ask about different tasks. Rows older than
--    a day are removed by the next claim (a task in flight that long has been swept).
create table credits_private.reconcile_leases (
  task_id uuid not null constraint reconcile_leases_pkey primary key,
  taken_at timestamptz not null
);
comment on table credits_private.reconcile_leases is
  'When a reconciliation last took a task in flight to ask its provider; rows older than a day are removed by the next claim.';
revoke all on credits_private.reconcile_leases from public;

-- 3. Late successes: a task that failed (an API timeout, the sweeper, a failure reported first)
--    and that its provider generated after all. complete_generation leaves its refund and status
--    alone, records the late result here and the generation's cost on the task, so the spend
--    shows. recorded_at tells the rollup refresh which old days changed.
create table credits_private.late_results (
  task_id uuid not null constraint late_results_pkey primary key,
  provider_cost_usd numeric(12, 6),
  result_url text,
  recorded_at timestamptz not null default now()
);
create index late_results_recorded_at_idx on credits_private.late_results (recorded_at);
comment on table credits_private.late_results is
  'Results of tasks that had already failed (and been refunded): the spend of a generation the user did not pay for.';
revoke all on credits_private.late_results from public;

-- 4. The rollups' spend on failed generations (refunded, or owed by the refund backfill): spend
--    without revenue. Derived data, filled here from the raw rows as the rollup source defines it.
alter table monitoring.task_rollup_daily add column failed_cost_usd numeric not null default 0;
comment on column monitoring.task_rollup_daily.failed_cost_usd is 'Provider cost of the failed tasks: spend without revenue.';
update monitoring.task_rollup_daily r
   set failed_cost_usd = u.cost
  from (select (t.created_at at time zone 'UTC')::date as day, t.provider, coalesce(t.model, '(unknown)') as model, t.task_type,
               sum(t.provider_cost_usd) as cost
          from public.enhancement_tasks t
         where t.status = 'failed' and t.provider_cost_usd > 0
         group by 1, 2, 3, 4) u
 where r.day = u.day and r.provider = u.provider and r.model = u.model and r.task_type = u.task_type;

-- What a previous down saved (a rollback loses nothing).
do $$
begin
  if to_regclass('archive.m0012_provider_results') is not null then
    insert into credits_private.provider_results select * from archive.m0012_provider_results;
    drop table archive.m0012_provider_results;
  end if;
  if to_regclass('archive.m0012_late_results') is not null then
    insert into credits_private.late_results select * from archive.m0012_late_results;
    drop table archive.m0012_late_results;
  end if;
end;
$$;

-- Down Migration
-- Saves the waiting and applied results in schema archive, then drops the table; the next up
-- restores them.
create schema if not exists archive;
revoke all on schema archive from public;
drop table if exists archive.m0012_provider_results;
create table archive.m0012_provider_results as select * from credits_private.provider_results;
drop table credits_private.provider_results;
drop table if exists archive.m0012_late_results;
create table archive.m0012_late_results as select * from credits_private.late_results;
drop table credits_private.late_results;
-- Leases are only the reconciliation's bookkeeping (the next run takes the tasks again); the
-- rollup column is derived (the next up recomputes it).
drop table credits_private.reconcile_leases;
alter table monitoring.task_rollup_daily drop column failed_cost_usd;
