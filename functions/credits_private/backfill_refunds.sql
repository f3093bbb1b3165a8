-- backfill_refunds: repays up to p_limit (null: all) failed tasks listed by
-- monitoring.missing_refunds, each exactly once, as 'refund' rows with origin 'backfill'.
-- Tasks are locked SKIP LOCKED, so concurrent runs share the work instead of repeating it, and
-- refunded in user order (no deadlock with the sweeper). With p_dry_run it returns the same rows
-- and writes nothing. Shared by backfill_missing_refunds and the CLI's batched backfill.
-- Result: task_id, user_id, credits, failed_at, error_message, refunded, balance (after the
-- refund; null in a dry run).
create or replace function credits_private.backfill_refunds(p_dry_run boolean, p_limit integer)
returns table (
  task_id uuid,
  user_id uuid,
  credits integer,
  failed_at timestamptz,
  error_message text,
  refunded boolean,
  balance integer
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
      select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message, false, null::integer
        from monitoring.missing_refunds m
       order by m.user_id, m.task_id
       limit p_limit;
    return;
  end if;

  for v_task in
    select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message
      from monitoring.missing_refunds m
      join public.enhancement_tasks t on t.id = m.task_id
     order by m.user_id, m.task_id
     limit p_limit
       for update of t skip locked
  loop
    select * into v_refund from credits_private.refund_task(v_task.task_id, 'backfill');
    continue when v_refund.refunded_credits = 0; -- repaid meanwhile by another run
    task_id := v_task.task_id;
    user_id := v_task.user_id;
    credits := v_refund.refunded_credits;
    failed_at := v_task.failed_at;
    error_message := v_task.error_message;
    refunded := true;
    balance := v_refund.balance;
    return next;
  end loop;
end;
$$;

comment on function credits_private.backfill_refunds(boolean, integer) is
  'Refunds (or lists, in a dry run) up to p_limit failed tasks that were never refunded.';
revoke all on function credits_private.backfill_refunds(boolean, integer) from public;
