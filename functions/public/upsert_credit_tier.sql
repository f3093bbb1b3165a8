-- upsert_credit_tier: creates a tier or replaces every value of one (contract §13), for the
-- service and `credits tiers set`: its monthly allowance, low-balance threshold, limits (null:
-- none) and rollover cap (0: unused monthly credits expire). Every argument replaces the tier's
-- value, defaults included: an omitted threshold or limit becomes null, an omitted rollover cap 0.
-- When each change reaches the tier's accounts:
--   the allowance, and the rollover cap, at each account's next period (roll_over reads them
--     then; this period's allowance was granted already);
--   the threshold at once, for the accounts without one of their own (their
--     low_balance_threshold, which charges compare against, locked in user_id order);
--   the limits at once (credit_tiers_limits_apply, migration 0028).
-- No function deletes a tier, and a tier with accounts on it cannot be deleted (the accounts'
-- foreign key).
-- Result: the tier's values as stored, created (true: a new tier), accounts (on it now).
-- Errors: CR003 invalid argument (a blank or over 64-character tier, an allowance or rollover
-- cap outside 0..100,000,000, a rollover cap on a tier with no allowance, a threshold or daily
-- limit outside 1..100,000,000, an in-flight limit outside 1..1,000,000).
-- Null arguments: p_low_balance_threshold, p_max_in_flight, p_daily_credit_limit.
-- Never null: tier, monthly_allowance, rollover_cap, created, accounts.
-- SECURITY DEFINER: the service role edits tiers without any privilege on the table.
create or replace function public.upsert_credit_tier(
  p_tier text,
  p_monthly_allowance integer,
  p_low_balance_threshold integer default null,
  p_max_in_flight integer default null,
  p_daily_credit_limit integer default null,
  p_rollover_cap integer default 0,
  out tier text,
  out monthly_allowance integer,
  out low_balance_threshold integer,
  out max_in_flight integer,
  out daily_credit_limit integer,
  out rollover_cap integer,
  out created boolean,
  out accounts bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  perform credits_private.require_text('p_tier', p_tier, 64);
  perform credits_private.require_between('p_monthly_allowance', p_monthly_allowance, 0, 100000000, false);
  perform credits_private.require_between('p_low_balance_threshold', p_low_balance_threshold, 1, 100000000, true);
  perform credits_private.require_between('p_max_in_flight', p_max_in_flight, 1, 1000000, true);
  perform credits_private.require_between('p_daily_credit_limit', p_daily_credit_limit, 1, 100000000, true);
  perform credits_private.require_between('p_rollover_cap', p_rollover_cap, 0, 100000000, false);
  if p_monthly_allowance = 0 and p_rollover_cap > 0 then
    -- no allocation row would say what was carried into a period of such a tier (contract §13)
    raise exception using errcode = 'CR003',
      message = 'a tier with no monthly allowance carries nothing: p_rollover_cap must be 0',
      detail = format('p_monthly_allowance was 0, p_rollover_cap %s.', p_rollover_cap),
      hint = 'Give the tier an allowance, or a rollover cap of 0.';
  end if;

  insert into public.credit_tiers as t
    (tier, monthly_allowance, low_balance_threshold, max_in_flight, daily_credit_limit, rollover_cap)
  values (p_tier, p_monthly_allowance, p_low_balance_threshold, p_max_in_flight, p_daily_credit_limit, p_rollover_cap)
  on conflict on constraint credit_tiers_pkey do update
     set monthly_allowance = excluded.monthly_allowance, low_balance_threshold = excluded.low_balance_threshold,
         max_in_flight = excluded.max_in_flight, daily_credit_limit = excluded.daily_credit_limit,
         rollover_cap = excluded.rollover_cap
  returning t.tier, t.monthly_allowance, t.low_balance_threshold, t.max_in_flight, t.daily_credit_limit,
            t.rollover_cap, t.xmax = 0
       into tier, monthly_allowance, low_balance_threshold, max_in_flight, daily_credit_limit, rollover_cap, created;

  -- the threshold at once, for the accounts that follow their tier's
  update public.user_credits uc
     set low_balance_threshold = p_low_balance_threshold, updated_at = now()
    from (select u.user_id from public.user_credits u
           where u.tier = p_tier and u.low_balance_threshold_override is null
             and u.low_balance_threshold is distinct from p_low_balance_threshold
           order by u.user_id
             for update) x
   where uc.user_id = x.user_id;
  select count(*) into accounts from public.user_credits uc where uc.tier = p_tier;
end;
$$;

comment on function public.upsert_credit_tier(text, integer, integer, integer, integer, integer) is
  'Creates a tier or replaces all its values: allowance and rollover at the next period, threshold and limits at once.';
revoke all on function public.upsert_credit_tier(text, integer, integer, integer, integer, integer) from public, anon, authenticated;
grant execute on function public.upsert_credit_tier(text, integer, integer, integer, integer, integer) to credits_service;
