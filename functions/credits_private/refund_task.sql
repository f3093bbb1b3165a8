-- refund_task: returns the credits a task was charged, exactly once, to the buckets they came
-- from: monthly credits go back to the monthly bucket while the period of the charge is still
-- the account's period, otherwise they come back as purchased credits (nothing is lost at a
-- period change). Writes the 'refund' ledger row in the caller's transaction.
-- The caller must already have moved the task to 'failed' (and so holds its row lock).
-- Arguments: p_task_id; p_origin, 'rpc' or 'backfill', recorded on the refund row.
-- Result: refunded_credits (0 when the task was never charged or is already refunded) and the
-- account's balance afterwards (null when the task's user has no account).
create or replace function credits_private.refund_task(
  p_task_id uuid,
  p_origin text,
  out refunded_credits integer,
  out balance integer
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  -- One statement: the charge not yet refunded, the account credited (monthly credits back to
  -- the monthly bucket while the charge's period is still the account's), the refund row.
  with charge as (
    select c.user_id, -c.amount as credits, -c.monthly_amount as monthly, c.period_start
      from public.credit_transactions c
     where c.task_id = p_task_id and c.type = 'usage' and c.amount < 0
       and not exists (select 1 from public.credit_transactions r where r.task_id = p_task_id and r.type = 'refund')
  ), credited as (
    update public.user_credits uc
       set monthly_credits = uc.monthly_credits + case when uc.period_start = ch.period_start then ch.monthly else 0 end,
           purchased_credits = uc.purchased_credits + ch.credits - case when uc.period_start = ch.period_start then ch.monthly else 0 end,
           credits = uc.credits + ch.credits,
           credits_used_this_month = case when uc.period_start is not distinct from ch.period_start
                                          then greatest(uc.credits_used_this_month - ch.credits, 0)
                                          else uc.credits_used_this_month end,
           updated_at = now()
      from charge ch
     where uc.user_id = ch.user_id
    returning uc.user_id, uc.credits as balance, uc.period_start, ch.credits,
              case when uc.period_start = ch.period_start then ch.monthly else 0 end as monthly
  ), refund as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, type, task_id, balance_after, period_start, origin)
    select cr.user_id, cr.credits, cr.monthly, 'refund', p_task_id, cr.balance, cr.period_start, p_origin
      from credited cr
  )
  select cr.credits, cr.balance into refunded_credits, balance from credited cr;

  if refunded_credits is null then
    -- Never charged, or already refunded: nothing moves; report the account's balance.
    refunded_credits := 0;
    select uc.credits into balance
      from public.user_credits uc
      join public.enhancement_tasks t on t.user_id = uc.user_id
     where t.id = p_task_id;
  end if;
end;
$$;

comment on function credits_private.refund_task(uuid, text) is
  'Refunds a failed task''s charge once, to the buckets it came from; writes the refund row.';
revoke all on function credits_private.refund_task(uuid, text) from public;
