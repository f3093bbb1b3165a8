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
  out balance bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_user uuid;
  v_monthly bigint;
  v_period date;
  v_account_period date;
  v_current date := date_trunc('month', now() at time zone 'UTC')::date;
begin
  -- The charge, unless it was refunded already (the caller holds the task's row lock, so no
  -- other refund of this task can run in between; the unique index would refuse one anyway).
  -- A charge fits an integer: start_generation takes at most 1,000,000 credits, legacy ones were integer.
  select c.user_id, (-c.amount)::integer, -c.monthly_amount, c.period_start
    into v_user, refunded_credits, v_monthly, v_period
    from public.credit_transactions c
   where c.task_id = p_task_id and c.type = 'usage' and c.amount < 0
     and not exists (select 1 from public.credit_transactions r where r.task_id = p_task_id and r.type = 'refund');

  -- Two rounds at most: the UPDATE only touches an account already in the current month (UTC);
  -- when it finds none, the account (if any) is in an earlier month, and this refund, its first
  -- write of the new month, starts that month for it (lazy roll-over) before refunding. The
  -- charge then belongs to an earlier period: its monthly credits come back as purchased ones.
  for v_round in 1..2 loop
    exit when v_user is null;
    update public.user_credits uc
       set monthly_credits = uc.monthly_credits + case when uc.period_start = v_period then v_monthly else 0 end,
           purchased_credits = uc.purchased_credits + refunded_credits - case when uc.period_start = v_period then v_monthly else 0 end,
           credits = uc.credits + refunded_credits,
           -- Usage this month goes down only for a charge of the account's current period; a
           -- charge of no known period (legacy, never allocated) cannot be attributed to it.
           credits_used_this_month = case when uc.period_start = v_period
                                          then greatest(uc.credits_used_this_month - refunded_credits, 0)
                                          else uc.credits_used_this_month end,
           updated_at = now()
     where uc.user_id = v_user and (uc.period_start >= v_current or uc.period_start is null)
    returning uc.credits, uc.period_start into balance, v_account_period;
    if found then
      insert into public.credit_transactions
        (user_id, amount, monthly_amount, type, task_id, balance_after, period_start, origin)
      values (v_user, refunded_credits, case when v_account_period = v_period then v_monthly else 0 end, 'refund',
              p_task_id, balance, v_account_period, p_origin);
      return;
    end if;
    exit when v_round = 2;
    perform 1 from public.user_credits uc where uc.user_id = v_user for update;
    exit when not found;
    perform credits_private.roll_over(array[v_user], v_current);
  end loop;

  -- Never charged, already refunded, or no account: nothing moves; report the account's balance.
  refunded_credits := 0;
  select uc.credits into balance
    from public.user_credits uc
    join public.enhancement_tasks t on t.user_id = uc.user_id
   where t.id = p_task_id;
end;
$$;

comment on function credits_private.refund_task(uuid, text) is
  'Refunds a failed task''s charge once, to the buckets it came from; writes the refund row.';
revoke all on function credits_private.refund_task(uuid, text) from public;
