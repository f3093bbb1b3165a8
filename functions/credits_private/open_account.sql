-- open_account: the account p_id on tier p_tier when it is missing, with the current period's
-- allowance as monthly credits (one 'allocation' ledger row) and limited when the tier has limits
-- (user_credits.limited_since); an existing one still in an earlier month (UTC) starts the current
-- month (lazy roll-over), as on its first charge. Shared by ensure_credit_account and
-- ensure_team_account, which say whose id it may be.
-- Result: whether it created the account.
create or replace function credits_private.open_account(p_id uuid, p_tier public.credit_tiers)
returns boolean
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_period date := credits_private.current_period();
  v_tier public.credit_tiers;
begin
  -- the tier as it is now, kept so while the account is written: a change of its limits waits,
  -- then its trigger sees this account (or this waits, then reads the new limits)
  select t.* into v_tier from public.credit_tiers t where t.tier = p_tier.tier for share;
  p_tier := v_tier;
  insert into public.user_credits as uc
    (user_id, tier, credits, monthly_credits, monthly_allowance, period_start, last_allocation_at, low_balance_threshold,
     limited_since)
  values (p_id, p_tier.tier, p_tier.monthly_allowance, p_tier.monthly_allowance, p_tier.monthly_allowance, v_period, now(),
          p_tier.low_balance_threshold,
          case when p_tier.max_in_flight is not null or p_tier.daily_credit_limit is not null then clock_timestamp() end)
  on conflict (user_id) do nothing;
  if found then
    if p_tier.monthly_allowance > 0 then
      insert into public.credit_transactions
        (user_id, amount, monthly_amount, type, description, balance_after, period_start)
      values (p_id, p_tier.monthly_allowance, p_tier.monthly_allowance, 'allocation',
              format('monthly allowance of tier %s', p_tier.tier), p_tier.monthly_allowance, v_period);
    end if;
    return true;
  end if;
  perform 1 from public.user_credits uc where uc.user_id = p_id and uc.period_start < v_period for update;
  if found then
    perform credits_private.roll_over(array[p_id], v_period);
  end if;
  return false;
end;
$$;

comment on function credits_private.open_account(uuid, public.credit_tiers) is
  'Creates an account on a tier if missing (its allowance, one allocation row); starts the current month for an existing one.';
revoke all on function credits_private.open_account(uuid, public.credit_tiers) from public;
