-- fail_and_refund: the failure transition, the one place a task fails and the one place a
-- charge is refunded. A task still in flight ('pending' or 'processing') becomes 'failed' with
-- its source, message and provider cost, and the credits it was charged go back, exactly once,
-- in the same transaction: monthly credits to the monthly bucket while the period of the charge
-- is still the account's period, promotional credits to the lots they came from while those are
-- live, otherwise as purchased credits (nothing is lost at a period change or an expiry). A
-- finished task is left alone. With p_source null the task has failed already (a legacy failure
-- the backfill repays, or a completed task whose hold is settled; the caller holds its row lock):
-- refund only.
-- Arguments: p_origin, who writes the refund row ('rpc', 'sweeper', 'backfill' or 'settlement');
-- p_message as stored (the caller normalised it) and p_message_normalised (null, 'defaulted',
-- 'truncated'); p_credits, how much of the charge goes back (null: all of it). Part of a charge
-- goes back in the reverse of the spending order (contract §11): purchased credits first, then
-- monthly, then promotional, so the buckets end as if only the rest had been charged.
-- The refund goes to the account the charge's ledger row names (a team's charge back to the
-- team, its row naming the member as the charge's did), and lowers the spend of the charge's UTC
-- day, the account's and the member's (contract §12), never below 0. An account at 0 may be in
-- debt: the refund repays it first, and credits going back to a voided grant expire at once
-- (contract §13: credits_private.refund_received); the other refunds pay one comparison.
-- Result: failed (this call failed the task), refunded_credits (0 when nothing was failed, the
-- task was never charged or is already refunded) and the paying account's balance afterwards
-- (null when it has no account, or nothing was failed).
create or replace function credits_private.fail_and_refund(
  p_task_id uuid,
  p_origin text,
  p_source text default null,
  p_message text default null,
  p_message_normalised text default null,
  p_provider_cost_usd numeric default 0,
  p_credits bigint default null,
  out failed boolean,
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
  v_purchased bigint;
  v_promotional_back bigint;
  v_period date;
  v_account_period date;
  v_member uuid; -- a team's charge: the member whose generation it was
  v_charged_at timestamptz; -- when the charge was made: the refund lowers the spend of its UTC day
  v_limited_since timestamptz;
  -- an account at 0 or a promotional refund (refund_received): what its debt took off the
  -- refund's parts, and its balance after the refund row (voided grants' credits expire after it)
  v_debt_repaid bigint;
  v_monthly_repaid bigint;
  v_promotional_repaid bigint;
  v_balance_after_refund bigint;
  v_current date := date_trunc('month', now() at time zone 'UTC')::date;
begin
  failed := false;
  if p_source is not null then
    update public.enhancement_tasks t
       set status = 'failed', error_message = p_message, error_message_normalised = p_message_normalised,
           failure_source = p_source, provider_cost_usd = p_provider_cost_usd,
           completed_at = now(), updated_at = now()
     where t.id = p_task_id and t.status in ('pending', 'processing');
    if not found then
      refunded_credits := 0;
      return;
    end if;
    failed := true;
  end if;

  -- The charge, unless it was refunded already (the task's row lock is held, taken by the
  -- UPDATE above or the backfill's FOR UPDATE, so no other refund of this task can run in
  -- between; the unique index would refuse one anyway).
  -- A charge fits an integer: start_generation takes at most 1,000,000 credits, legacy ones were integer.
  -- Promotional credits go back to the lots they came from while these are live
  -- (return_promotional, under the account's lock): only for the few charges that spent some.
  -- Two statements, not one with the part's arithmetic after it: the failure's refund keeps its
  -- single statement (the arithmetic's assignments cost every refund 1.7 %, measured).
  if p_credits is null then
    -- the whole charge: each bucket gets back its part
    select c.user_id, (-c.amount)::integer, -c.monthly_amount, c.period_start,
           case when c.promotional_amount < 0 then credits_private.return_promotional(c.user_id, p_task_id) else 0 end,
           c.member_id, c.created_at
      into v_user, refunded_credits, v_monthly, v_period, v_promotional_back, v_member, v_charged_at
      from public.credit_transactions c
     where c.task_id = p_task_id and c.type = 'usage' and c.amount < 0
       and not exists (select 1 from public.credit_transactions r where r.task_id = p_task_id and r.type = 'refund');
  else
    -- part of it (a settlement): what goes back comes off the charge's purchased part first, then
    -- its monthly part, then its promotional part, the lots expiring last first
    select c.user_id, least(p_credits, -c.amount)::integer, c.period_start,
           -c.monthly_amount, -c.amount + c.monthly_amount + c.promotional_amount,
           c.member_id, c.created_at
      into v_user, refunded_credits, v_period, v_monthly, v_purchased, v_member, v_charged_at
      from public.credit_transactions c
     where c.task_id = p_task_id and c.type = 'usage' and c.amount < 0
       and not exists (select 1 from public.credit_transactions r where r.task_id = p_task_id and r.type = 'refund');
    v_monthly := least(refunded_credits - least(refunded_credits, v_purchased), v_monthly);
    v_promotional_back := case when refunded_credits > v_purchased + v_monthly
                               then credits_private.return_promotional(v_user, p_task_id, refunded_credits - v_purchased - v_monthly)
                               else 0 end;
  end if;

  -- Two rounds at most: the UPDATE only touches an account already in the current month (UTC);
  -- when it finds none, the account (if any) is in an earlier month, and this refund, its first
  -- write of the new month, starts that month for it (lazy roll-over) before refunding. The
  -- charge then belongs to an earlier period: its monthly credits come back as purchased ones.
  for v_round in 1..2 loop
    exit when v_user is null;
    update public.user_credits uc
       set monthly_credits = uc.monthly_credits + case when uc.period_start = v_period then v_monthly else 0 end,
           promotional_credits = uc.promotional_credits + v_promotional_back,
           purchased_credits = uc.purchased_credits + refunded_credits - v_promotional_back
                               - case when uc.period_start = v_period then v_monthly else 0 end,
           credits = uc.credits + refunded_credits,
           -- Usage this month goes down only for a charge of the account's current period; a
           -- charge of no known period (legacy, never allocated) cannot be attributed to it.
           credits_used_this_month = case when uc.period_start = v_period
                                          then greatest(uc.credits_used_this_month - refunded_credits, 0)
                                          else uc.credits_used_this_month end,
           updated_at = now()
     where uc.user_id = v_user and (uc.period_start >= v_current or uc.period_start is null)
    returning uc.credits, uc.period_start, uc.limited_since into balance, v_account_period, v_limited_since;
    if found then
      -- A limited account's spend of the charge's day (UTC, contract §12) goes down with it: the
      -- accounts without limits pay one comparison.
      if v_limited_since is not null then
        update credits_private.account_limits l
           set spent_today = greatest(l.spent_today - refunded_credits, 0)
         where l.user_id = v_user and l.counted_since = v_limited_since
           and v_charged_at >= l.spent_today_until - interval '24 hours' and v_charged_at < l.spent_today_until;
      end if;
      -- An account that was at 0 may be in debt, and a voided grant's credits expire at once
      -- (refund_received); the row then says what they took off its parts. Two INSERTs: the
      -- common refund's computes none of it (measured).
      if balance = refunded_credits or v_promotional_back > 0 then
        select r.debt_repaid, r.monthly_repaid, r.promotional_repaid, r.balance_after_refund, r.balance
          into v_debt_repaid, v_monthly_repaid, v_promotional_repaid, v_balance_after_refund, balance
          from credits_private.refund_received(v_user, refunded_credits,
                 case when v_account_period = v_period then v_monthly else 0 end, v_promotional_back, balance) r;
        insert into public.credit_transactions
          (user_id, amount, monthly_amount, promotional_amount, debt_amount, type, task_id, balance_after, period_start,
           origin, member_id)
        values (v_user, refunded_credits,
                case when v_account_period = v_period then v_monthly else 0 end - v_monthly_repaid,
                v_promotional_back - v_promotional_repaid, nullif(v_debt_repaid, 0), 'refund', p_task_id,
                v_balance_after_refund, v_account_period, p_origin, v_member);
      else
        insert into public.credit_transactions
          (user_id, amount, monthly_amount, promotional_amount, type, task_id, balance_after, period_start, origin, member_id)
        values (v_user, refunded_credits, case when v_account_period = v_period then v_monthly else 0 end, v_promotional_back,
                'refund', p_task_id, balance, v_account_period, p_origin, v_member);
      end if;
      -- a team's charge: the member's spend of its day goes down too (after the team's row: the
      -- order a charge locks them in)
      if v_member is not null then
        update credits_private.team_members tm
           set spent_today = greatest(tm.spent_today - refunded_credits, 0)
         where tm.team_id = v_user and tm.user_id = v_member
           and v_charged_at >= tm.spent_today_until - interval '24 hours' and v_charged_at < tm.spent_today_until;
      end if;
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
    join public.enhancement_tasks t on uc.user_id = coalesce(t.account_id, t.user_id)
   where t.id = p_task_id;
end;
$$;

comment on function credits_private.fail_and_refund(uuid, text, text, text, text, numeric, bigint) is
  'Fails a task in flight and refunds its charge once (or part of it: a settlement), to the buckets it came from, in one transaction.';
revoke all on function credits_private.fail_and_refund(uuid, text, text, text, text, numeric, bigint) from public;
