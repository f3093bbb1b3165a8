-- backfill_refunds: repays up to p_limit (null: all) failed tasks listed by
-- monitoring.missing_refunds with a task id after p_after (null: from the start), each exactly
-- once, as 'refund' rows with origin 'backfill'. Tasks are taken in id order (the legacy
-- index's, so batches continue where the last one ended instead of re-reading), locked SKIP
-- LOCKED so concurrent runs share the work, and refunded in user order (no deadlock with the
-- sweeper). With p_dry_run it returns the same rows and writes nothing. Shared by
-- backfill_missing_refunds and the CLI's batched backfill.
-- Result: task_id, user_id, credits, failed_at, error_message, refunded (false: repaid
-- meanwhile by another run), balance (after the refund; null in a dry run).
create or replace function credits_private.backfill_refunds(p_dry_run boolean, p_limit integer, p_after uuid default null)
returns table (
  task_id uuid,
  user_id uuid,
  credits bigint,
  failed_at timestamptz,
  error_message text,
  refunded boolean,
  balance bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task record;
  v_refund record;
begin
  if p_dry_run then
    return query
      select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message, false, null::bigint
        from monitoring.missing_refunds m
       where m.task_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
       order by m.task_id
       limit p_limit;
    return;
  end if;

  for v_task in
    with batch as (
      select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message
        from monitoring.missing_refunds m
        join public.enhancement_tasks t on t.id = m.task_id
       where m.task_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000')
       order by m.task_id
       limit p_limit
         for update of t skip locked
    )
    select * from batch order by batch.user_id, batch.task_id
  loop
    select * into v_refund from credits_private.refund_task(v_task.task_id, 'backfill');
    task_id := v_task.task_id;
    user_id := v_task.user_id;
    credits := v_task.credits;
    failed_at := v_task.failed_at;
    error_message := v_task.error_message;
    refunded := v_refund.refunded_credits > 0;
    balance := v_refund.balance;
    return next;
  end loop;
end;
$$;

comment on function credits_private.backfill_refunds(boolean, integer, uuid) is
  'Refunds (or lists, in a dry run) up to p_limit failed tasks that were never refunded.';
revoke all on function credits_private.backfill_refunds(boolean, integer, uuid) from public;
