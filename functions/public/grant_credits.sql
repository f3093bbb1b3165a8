-- grant_credits: adds purchased credits (a purchase, a top-up, a goodwill grant); they never
-- expire: one 'purchase' ledger row with the reason. An account in debt repays it first (contract
-- §13): the row's debt_amount, the rest purchased credits. The idempotency key is required (the
-- payment's id is a good one): the same key again returns the first grant
-- (replayed = true) and adds nothing; with another amount or reason it is refused. The key of a
-- top-up request ('auto-top-up:<event id>', claim_credit_events) grants what the payment bought
-- and marks the request granted (set_auto_top_up); such a key names a request of this account.
-- Result: transaction_id (the 'purchase' ledger row), balance (total afterwards), replayed.
-- Errors: CR002 no account, CR003 invalid argument (null user, p_credits outside
-- 1..100,000,000, blank reason or key, a top-up key of no request of this account), CR006 the key was used with another amount or reason.
-- Never null: transaction_id, balance, replayed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.grant_credits(
  p_user_id uuid,
  p_credits integer,
  p_reason text,
  p_idempotency_key text,
  out transaction_id uuid,
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
  v_repaid bigint;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_credits('p_credits', p_credits, 100000000);
  perform credits_private.require_text('p_reason', p_reason, 1000);
  perform credits_private.require_text('p_idempotency_key', p_idempotency_key, 200);

  -- The account locked (a concurrent call with the same key waits here, then replays), and
  -- rolled over into the current month if its first write of it.
  perform credits_private.lock_account(p_user_id);

  select c.id, c.amount, c.description, c.balance_after into v_first
    from public.credit_transactions c
   where c.user_id = p_user_id and c.idempotency_key = p_idempotency_key and c.type = 'purchase';
  if found then
    if (v_first.amount, v_first.description) is distinct from (p_credits, p_reason) then
      raise exception using errcode = 'CR006',
        message = 'idempotency key reused with different arguments',
        detail = format('Key %L granted %s credits (%s); this call asked for %s credits (%s).',
                        p_idempotency_key, v_first.amount, v_first.description, p_credits, p_reason),
        hint = 'Use a new key for a new grant.';
    end if;
    transaction_id := v_first.id;
    balance := v_first.balance_after;
    replayed := true;
    return;
  end if;

  if starts_with(p_idempotency_key, 'auto-top-up:') then
    perform credits_private.top_up_granted(p_user_id, p_idempotency_key);
  end if;
  v_repaid := credits_private.repay_debt(p_user_id, p_credits);
  update public.user_credits uc
     set credits = uc.credits + p_credits - v_repaid, purchased_credits = uc.purchased_credits + p_credits - v_repaid,
         updated_at = now()
   where uc.user_id = p_user_id
  returning uc.credits into balance;
  insert into public.credit_transactions
    (user_id, amount, debt_amount, type, description, balance_after, idempotency_key)
  values (p_user_id, p_credits, nullif(v_repaid, 0), 'purchase', p_reason, balance, p_idempotency_key)
  returning id into transaction_id;
  replayed := false;
end;
$$;

comment on function public.grant_credits(uuid, integer, text, text) is
  'Adds purchased (never-expiring) credits to an account; idempotent per key.';
revoke all on function public.grant_credits(uuid, integer, text, text) from public, anon, authenticated;
grant execute on function public.grant_credits(uuid, integer, text, text) to credits_service;
