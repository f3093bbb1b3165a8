-- ensure_credit_account: creates the account when it is missing, on p_tier, with the current
-- period's allowance as monthly credits (one 'allocation' ledger row). An existing account is
-- returned unchanged (its tier too), except that one still in an earlier month (UTC) starts the
-- current month first, as on its first charge: safe to call on every sign-in.
-- Result: created, then the columns of public.credit_balance (get_credit_balance's result).
-- A new account gets its tier's limits (contract §12). A team's id is not a user's: teams are
-- ensure_team_account's.
-- Errors: CR003 invalid argument, unknown tier, or the id of a team.
-- Never null: created, total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, promotional_credits, in_flight, spent_today, debt_credits.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.ensure_credit_account(
  p_user_id uuid,
  p_tier text default 'free',
  out created boolean,
  out total_credits bigint,
  out monthly_credits bigint,
  out purchased_credits bigint,
  out tier text,
  out monthly_allowance integer,
  out used_this_month bigint,
  out period_start date,
  out period_end date,
  out pending_tier text,
  out low_balance_threshold integer,
  out promotional_credits bigint,
  out promotional_expires_at timestamptz,
  out max_in_flight integer,
  out daily_credit_limit integer,
  out in_flight bigint,
  out spent_today bigint,
  out debt_credits bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_tier public.credit_tiers;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_text('p_tier', p_tier, 64);
  select t.* into v_tier from credits_private.tier_of(p_tier) t;

  created := credits_private.open_account(p_user_id, v_tier);
  if not created then
    perform credits_private.require_not_team('p_user_id', p_user_id);
  end if;

  select b.* into total_credits, monthly_credits, purchased_credits, tier, monthly_allowance,
                  used_this_month, period_start, period_end, pending_tier, low_balance_threshold,
                  promotional_credits, promotional_expires_at, max_in_flight, daily_credit_limit, in_flight, spent_today, debt_credits
    from credits_private.balance_of(p_user_id) b;
end;
$$;

comment on function public.ensure_credit_account(uuid, text) is
  'Creates a credit account with the current period''s allowance if it does not exist; idempotent.';
revoke all on function public.ensure_credit_account(uuid, text) from public, anon, authenticated;
grant execute on function public.ensure_credit_account(uuid, text) to credits_service;
