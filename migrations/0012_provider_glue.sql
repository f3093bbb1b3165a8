-- Up Migration
-- The provider glue's state (issue 12): results that arrive before their submission is
-- recorded, and the reconciliation's leases.
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
  'When a reconciliation last took a task in flight to ask its provider; rows of finished tasks are removed.';
revoke all on credits_private.reconcile_leases from public;

-- What a previous down saved (a rollback loses nothing).
do $$
begin
  if to_regclass('archive.m0012_provider_results') is not null then
    insert into credits_private.provider_results select * from archive.m0012_provider_results;
    drop table archive.m0012_provider_results;
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
-- Leases are only the reconciliation's bookkeeping (the next run takes the tasks again).
drop table credits_private.reconcile_leases;
