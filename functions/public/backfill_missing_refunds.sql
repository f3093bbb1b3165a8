-- backfill_missing_refunds: repays historical failed tasks that charged credits and were never
-- refunded (credits_private.missing_refunds, shown as monitoring.missing_refunds). The dry run
-- (the default) returns what would be refunded and writes nothing; the real run refunds each
-- task exactly once, as a 'refund' row with origin 'backfill', in the caller's transaction. A
-- second run refunds nothing. A refund lowers the account's used_this_month only when the charge
-- was made in the account's current period (a legacy charge has none).
-- Batches: p_limit tasks at most (null: all), with a task id after p_after (null: from the
-- start). Tasks are taken in id order (the legacy index's, so a batch continues where the last
-- one ended, the way `credits refunds backfill --apply` walks them), locked SKIP LOCKED so
-- concurrent runs share the work, and refunded in user order (no deadlock with the sweeper).
-- Result: task_id, user_id, credits, failed_at, error_message, refunded (false in a dry run, or
-- when another run repaid the task meanwhile), balance (after the refund; null in a dry run).
-- Never null: task_id, user_id, credits, refunded.
-- Errors: CR003 invalid argument (p_dry_run null, p_limit under 1).
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.backfill_missing_refunds(
  p_dry_run boolean default true,
  p_limit integer default null,
  p_after uuid default null
)
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
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_after uuid := coalesce(p_after, '00000000-0000-0000-0000-000000000000');
  v_task record;
  v_refund record;
begin
  perform credits_private.require_present('p_dry_run', p_dry_run);
  if p_limit < 1 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be at least 1',
      detail = format('p_limit was %s.', p_limit),
      hint = 'Pass a positive batch size, or null for every task.';
  end if;

  if p_dry_run then
    return query
      select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message, false, null::bigint
        from credits_private.missing_refunds m
       where m.task_id > v_after
       order by m.task_id
       limit p_limit;
    return;
  end if;

  for v_task in
    with batch as (
      select m.task_id, m.user_id, m.credits, m.failed_at, m.error_message
        from credits_private.missing_refunds m
        join public.enhancement_tasks t on t.id = m.task_id
       where m.task_id > v_after
       order by m.task_id
       limit p_limit
         for update of t skip locked
    )
    select * from batch order by batch.user_id, batch.task_id
  loop
    v_refund := credits_private.fail_and_refund(v_task.task_id, 'backfill'); -- failed already: refund only
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

comment on function public.backfill_missing_refunds(boolean, integer, uuid) is
  'Refunds historical failed tasks that charged credits and have no refund, in batches if asked (dry run by default).';
revoke all on function public.backfill_missing_refunds(boolean, integer, uuid) from public, anon, authenticated;
grant execute on function public.backfill_missing_refunds(boolean, integer, uuid) to credits_service;
