-- set_credit_limits: an account's own limits (contract §12), both at once, at once: for each,
-- a positive number is the account's limit, 0 no limit whatever its tier, null its tier's
-- (credit_tiers.max_in_flight, daily_credit_limit; a tier's change reaches the account at once).
-- p_max_in_flight: generations in flight ('pending' or 'processing') the account may pay for;
-- p_daily_credit_limit: credits its charges may spend per UTC day, less their refunds and
-- settlements. A start past either is refused with CR007; generations already in flight and
-- credits already spent stay as they are. Works for a team as for a personal account.
-- Result: max_in_flight and daily_credit_limit, the limits in effect afterwards (null: none).
-- Errors: CR002 no account, CR003 invalid argument (null user, p_max_in_flight outside
-- 0..1,000,000, p_daily_credit_limit outside 0..100,000,000).
-- Null arguments: p_max_in_flight, p_daily_credit_limit.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.set_credit_limits(
  p_user_id uuid,
  p_max_in_flight integer,
  p_daily_credit_limit integer,
  out max_in_flight integer,
  out daily_credit_limit integer
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  perform credits_private.require_between('p_max_in_flight', p_max_in_flight, 0, 1000000, true,
                                          'A positive limit, 0 for none whatever the tier, null for the tier''s.');
  perform credits_private.require_between('p_daily_credit_limit', p_daily_credit_limit, 0, 100000000, true,
                                          'A positive limit, 0 for none whatever the tier, null for the tier''s.');
  -- the tier first (kept as it is: a change of its limits waits for this, or this for it), then
  -- the account's row lock, which orders this with its charges
  perform 1 from public.credit_tiers t join public.user_credits uc on uc.tier = t.tier
   where uc.user_id = p_user_id for share of t;
  perform 1 from public.user_credits uc where uc.user_id = p_user_id for update;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  insert into credits_private.account_limits as l (user_id, max_in_flight_override, daily_credit_limit_override)
  values (p_user_id, p_max_in_flight, p_daily_credit_limit)
  on conflict (user_id) do update
     set max_in_flight_override = excluded.max_in_flight_override,
         daily_credit_limit_override = excluded.daily_credit_limit_override,
         updated_at = now();
  perform credits_private.refresh_limited(array[p_user_id]);
  select x.max_in_flight, x.daily_credit_limit into max_in_flight, daily_credit_limit from credits_private.limits_of(p_user_id) x;
end;
$$;

comment on function public.set_credit_limits(uuid, integer, integer) is
  'Sets an account''s own in-flight and daily credit limits (0: none, null: its tier''s); returns those in effect.';
revoke all on function public.set_credit_limits(uuid, integer, integer) from public, anon, authenticated;
grant execute on function public.set_credit_limits(uuid, integer, integer) to credits_service;
