-- change_tier: moves an account to another plan (contract §10). An upgrade (a tier with a larger
-- monthly allowance than the account was given this period) applies now and grants the
-- difference for the current period, as one 'tier_upgrade' ledger row into the monthly bucket (it
-- expires with the period, as the allowance does); a change to a tier with the same allowance
-- applies now and grants nothing; a downgrade applies at the account's next period (the
-- allocation, or its own first write of the month, starts that period on the new tier), and the
-- balance results show it as pending_tier meanwhile. A tier applied now brings its low-balance
-- threshold and its limits with it (unless the account has its own: set_low_balance_threshold,
-- set_credit_limits). Asking for the
-- tier the account is on cancels a scheduled downgrade. The account's first write of a new month (UTC) starts that
-- month first (lazy roll-over), so a change racing the monthly allocation ends the same in either
-- order: both hold the account's row lock.
-- The idempotency key is required (the payment provider's event id is a good one): the same key
-- again changes the tier no further and returns the first call's outcome and credits_granted,
-- with the account's tier, pending tier and balance as they are now (replayed = true); with
-- another tier it is refused.
-- Result: tier (the account's tier now), pending_tier (the tier of its next period, when a
-- downgrade is scheduled), outcome ('upgraded', 'changed', 'downgrade_scheduled', 'unchanged'),
-- credits_granted (the upgrade's top-up, else 0), balance (total afterwards), replayed.
-- Errors: CR002 no account, CR003 invalid argument (null user, blank key, unknown tier: DETAIL
-- lists the known ones), CR006 the key was used for another tier.
-- Never null: tier, outcome, credits_granted, balance, replayed.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.change_tier(
  p_user_id uuid,
  p_tier text,
  p_idempotency_key text,
  out tier text,
  out pending_tier text,
  out outcome text,
  out credits_granted bigint,
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
  v_from text;
  v_first credits_private.tier_changes;
  v_new_allowance integer;
  v_new_threshold integer;
  v_old_allowance bigint;
  v_transaction uuid;
  v_repaid bigint;
  v_current date := credits_private.current_period();
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_text('p_tier', p_tier, 64);
  perform credits_private.require_text('p_idempotency_key', p_idempotency_key, 200);
  select t.monthly_allowance, t.low_balance_threshold into v_new_allowance, v_new_threshold from credits_private.tier_of(p_tier) t;

  -- The account locked (a concurrent call with the same key waits here, then replays), and
  -- rolled over into the current month if its first write of it.
  perform credits_private.lock_account(p_user_id);

  select * into v_first from credits_private.tier_changes c
   where c.user_id = p_user_id and c.idempotency_key = p_idempotency_key;
  if found then
    if v_first.to_tier <> p_tier then
      raise exception using errcode = 'CR006',
        message = 'idempotency key reused with different arguments',
        detail = format('Key %L changed the tier to %s; this call asked for %s.', p_idempotency_key, v_first.to_tier, p_tier),
        hint = 'Use a new key for a new plan change.';
    end if;
    select uc.tier, uc.pending_tier, uc.credits into tier, pending_tier, balance
      from public.user_credits uc where uc.user_id = p_user_id;
    outcome := v_first.outcome;
    credits_granted := v_first.credits_granted;
    replayed := true;
    return;
  end if;

  -- The old allowance is what the account was given this period (user_credits.monthly_allowance),
  -- not its tier's today: an allowance edited since reaches the account at its next period only.
  select uc.tier, uc.monthly_allowance into v_from, v_old_allowance
    from public.user_credits uc
   where uc.user_id = p_user_id;
  tier := v_from;
  credits_granted := 0;
  replayed := false;
  outcome := case when p_tier = v_from then 'unchanged'
                  when v_new_allowance > v_old_allowance then 'upgraded'
                  when v_new_allowance = v_old_allowance then 'changed'
                  else 'downgrade_scheduled' end;

  if outcome in ('upgraded', 'changed') then
    credits_granted := v_new_allowance - v_old_allowance;
    v_repaid := credits_private.repay_debt(p_user_id, credits_granted); -- debt first (contract §13)
    update public.user_credits uc
       set tier = p_tier, pending_tier = null, monthly_allowance = v_new_allowance,
           low_balance_threshold = coalesce(uc.low_balance_threshold_override, v_new_threshold),
           monthly_credits = uc.monthly_credits + credits_granted - v_repaid, credits = uc.credits + credits_granted - v_repaid,
           updated_at = now()
     where uc.user_id = p_user_id
    returning uc.credits into balance;
    if credits_granted > 0 then
      insert into public.credit_transactions
        (user_id, amount, monthly_amount, debt_amount, type, description, balance_after, period_start)
      values (p_user_id, credits_granted, credits_granted - v_repaid, nullif(v_repaid, 0), 'tier_upgrade',
              format('upgrade from %s to %s for %s', v_from, p_tier, to_char(v_current, 'YYYY-MM')), balance, v_current)
      returning id into v_transaction;
    end if;
    perform credits_private.refresh_limited(array[p_user_id]);
    tier := p_tier;
  else
    -- A downgrade waits for the next period; the current tier cancels one that is scheduled.
    update public.user_credits uc
       set pending_tier = case when outcome = 'downgrade_scheduled' then p_tier end, updated_at = now()
     where uc.user_id = p_user_id
    returning uc.credits into balance;
  end if;
  pending_tier := case when outcome = 'downgrade_scheduled' then p_tier end;

  insert into credits_private.tier_changes
    (user_id, idempotency_key, from_tier, to_tier, outcome, credits_granted, transaction_id, period_start)
  values (p_user_id, p_idempotency_key, v_from, p_tier, outcome, credits_granted, v_transaction, v_current);
end;
$$;

comment on function public.change_tier(uuid, text, text) is
  'Moves an account to another tier: an upgrade now, with the allowance''s difference for this period; a downgrade at the next period.';
revoke all on function public.change_tier(uuid, text, text) from public, anon, authenticated;
grant execute on function public.change_tier(uuid, text, text) to credits_service;
