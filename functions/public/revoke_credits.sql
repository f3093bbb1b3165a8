-- revoke_credits: takes credits back (contract §13): a refunded payment, a chargeback, an abused
-- promotion. Purchased credits first, then monthly, then promotional (the lot expiring last
-- first); what the account no longer holds becomes debt, which every credit that comes in
-- repays first (a purchase, an allocation, a refund...). One 'revocation' ledger row of
-- -p_credits, its parts in each bucket and in the debt (debt_amount). A generation in flight
-- keeps its hold; if it fails, its refund repays the debt first. Lots past their date expire
-- before (they are not revoked). A crossing of the low-balance threshold writes its event, as a
-- charge's does. The idempotency key is required (the payment provider's dispute or refund id
-- is a good one); keys are apart from grant_credits' keys: the same key again returns the first
-- call's result (replayed = true) and takes nothing more; with another amount or reason it is
-- refused.
-- Result: transaction_id (the 'revocation' row), revoked (p_credits: what the held credits and
-- the new debt add up to), debt_credits and balance (the account's afterwards; on a replay, what
-- the first call left), replayed.
-- Errors: CR002 no account, CR003 invalid argument (null user, p_credits outside
-- 1..100,000,000, blank reason or key), CR006 the key was used with another amount or reason.
-- Never null: transaction_id, revoked, debt_credits, balance, replayed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.revoke_credits(
  p_user_id uuid,
  p_credits integer,
  p_reason text,
  p_idempotency_key text,
  out transaction_id uuid,
  out revoked bigint,
  out debt_credits bigint,
  out balance bigint,
  out replayed boolean
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_first record;
  v_account public.user_credits;
  v_purchased bigint;
  v_monthly bigint;
  v_promotional bigint;
  v_debt bigint;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_credits('p_credits', p_credits, 100000000);
  perform credits_private.require_text('p_reason', p_reason, 1000);
  perform credits_private.require_text('p_idempotency_key', p_idempotency_key, 200);

  -- The account locked (a concurrent call with the same key waits here, then replays), and
  -- rolled over into the current month if its first write of it.
  perform credits_private.lock_account(p_user_id);

  select r.transaction_id, r.debt_credits, -c.amount as credits, c.description, c.balance_after into v_first
    from credits_private.revocations r
    join public.credit_transactions c on c.id = r.transaction_id
   where r.user_id = p_user_id and r.idempotency_key = p_idempotency_key;
  if found then
    if (v_first.credits, v_first.description) is distinct from (p_credits::bigint, p_reason) then
      raise exception using errcode = 'CR006',
        message = 'idempotency key reused with different arguments',
        detail = format('Key %L revoked %s credits (%s); this call asked for %s credits (%s).',
                        p_idempotency_key, v_first.credits, v_first.description, p_credits, p_reason),
        hint = 'Use a new key for a new revocation.';
    end if;
    transaction_id := v_first.transaction_id;
    revoked := v_first.credits;
    debt_credits := v_first.debt_credits;
    balance := v_first.balance_after;
    replayed := true;
    return;
  end if;

  perform credits_private.expire_promotional_credits_of(array[p_user_id], true);
  select * into v_account from public.user_credits uc where uc.user_id = p_user_id;
  v_purchased := least(p_credits, v_account.purchased_credits);
  v_monthly := least(p_credits - v_purchased, v_account.monthly_credits);
  v_promotional := credits_private.spend_promotional(p_user_id, null, p_credits - v_purchased - v_monthly, true);
  v_debt := p_credits - v_purchased - v_monthly - v_promotional;

  update public.user_credits uc
     set purchased_credits = uc.purchased_credits - v_purchased, monthly_credits = uc.monthly_credits - v_monthly,
         promotional_credits = uc.promotional_credits - v_promotional, credits = uc.credits - (p_credits - v_debt),
         updated_at = now()
   where uc.user_id = p_user_id
  returning uc.credits into balance;
  if v_debt > 0 then
    insert into credits_private.account_debts as d (user_id, debt_credits) values (p_user_id, v_debt)
    on conflict (user_id) do update set debt_credits = d.debt_credits + excluded.debt_credits, updated_at = now()
    returning d.debt_credits into debt_credits;
  else
    debt_credits := 0::bigint; -- it held all of it: it owed nothing (an account in debt holds nothing)
  end if;
  insert into public.credit_transactions
    (user_id, amount, monthly_amount, promotional_amount, debt_amount, type, description, balance_after, period_start,
     idempotency_key)
  values (p_user_id, -p_credits, -v_monthly, -v_promotional, nullif(-v_debt, 0), 'revocation', p_reason, balance,
          v_account.period_start, p_idempotency_key)
  returning id into transaction_id;
  insert into credits_private.revocations (user_id, idempotency_key, transaction_id, debt_credits)
  values (p_user_id, p_idempotency_key, transaction_id, debt_credits);
  if balance < v_account.low_balance_threshold and v_account.credits >= v_account.low_balance_threshold then
    perform credits_private.record_low_balance(p_user_id, balance, v_account.low_balance_threshold, null);
  end if;
  revoked := p_credits::bigint;
  replayed := false;
end;
$$;

comment on function public.revoke_credits(uuid, integer, text, text) is
  'Takes credits back (a refunded payment, a chargeback): purchased, then monthly, then promotional; the rest becomes debt.';
revoke all on function public.revoke_credits(uuid, integer, text, text) from public, anon, authenticated;
grant execute on function public.revoke_credits(uuid, integer, text, text) to credits_service;
