-- set_low_balance_threshold: an account's own low-balance threshold, overriding its tier's
-- (credit_tiers.low_balance_threshold, data a DBA updates, which reaches each account at its next
-- period), at once; null returns the account to its tier's threshold as the tier has it now.
-- A charge that takes the balance from at or above the threshold to below it writes one
-- low-balance event (claim_credit_events).
-- Result: the threshold in effect for the account afterwards (null: no events).
-- Errors: CR002 no account, CR003 invalid argument (null user, p_threshold outside 1..100,000,000).
-- Null arguments: p_threshold.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.set_low_balance_threshold(p_user_id uuid, p_threshold integer)
returns integer
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_effective integer;
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  if p_threshold is not null then
    perform credits_private.require_credits('p_threshold', p_threshold, 100000000);
  end if;
  update public.user_credits uc
     set low_balance_threshold_override = p_threshold,
         low_balance_threshold = coalesce(p_threshold, (select t.low_balance_threshold from public.credit_tiers t where t.tier = uc.tier)),
         updated_at = now()
   where uc.user_id = p_user_id
  returning uc.low_balance_threshold into v_effective;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  return v_effective;
end;
$$;

comment on function public.set_low_balance_threshold(uuid, integer) is
  'Sets (or, with null, clears) an account''s own low-balance threshold; returns the one in effect.';
revoke all on function public.set_low_balance_threshold(uuid, integer) from public, anon, authenticated;
grant execute on function public.set_low_balance_threshold(uuid, integer) to credits_service;
