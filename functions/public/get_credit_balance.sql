-- get_credit_balance: an account's spendable total, its three buckets, tier, allowance, usage this
-- month and current period (period_end exclusive: monthly credits expire then). For an account
-- whose UTC month has ended and that has not been written to since, it reports the new month as
-- it will be recorded (the lazy roll-over of allocate_monthly_credits), not last month's
-- figures. STABLE: PostgREST serves it with GET as well.
-- Result: one public.credit_balance (total_credits, monthly_credits, purchased_credits, tier,
-- monthly_allowance, used_this_month, period_start, period_end, pending_tier: the tier of the
-- next period when a downgrade is scheduled, change_tier; low_balance_threshold: a charge below it
-- raises a low-balance event, null: none; promotional_credits, the credits of promotional grants
-- not yet expired, and promotional_expires_at, the soonest expiry among them).
-- Errors: CR002 no account, CR003 null user.
-- Never null: total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, promotional_credits.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.get_credit_balance(p_user_id uuid)
returns public.credit_balance
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  return credits_private.balance_of(p_user_id);
end;
$$;

comment on function public.get_credit_balance(uuid) is
  'Total, monthly, purchased and promotional credits (with the soonest expiry), tier, allowance, usage and period of an account.';
revoke all on function public.get_credit_balance(uuid) from public, anon, authenticated;
grant execute on function public.get_credit_balance(uuid) to credits_service;
