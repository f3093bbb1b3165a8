-- my_credit_balance: get_credit_balance for the calling end user, whose id is the JWT claim
-- 'sub' that PostgREST puts in request.jwt.claims. It takes no argument, so a user can never ask
-- for another's balance.
-- Result: one public.credit_balance, as get_credit_balance.
-- Errors: 42501 when the request carries no user id (no claims, claims that are not JSON, a
-- 'sub' that is not a uuid), CR002 when the user has no account.
-- Never null: total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, promotional_credits.
-- SECURITY DEFINER: end users read their balance without any privilege beyond this function;
-- the user id comes only from the JWT, never from an argument.
create or replace function public.my_credit_balance()
returns public.credit_balance
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  return credits_private.balance_of(credits_private.jwt_user());
end;
$$;

comment on function public.my_credit_balance() is 'The calling end user''s balance (user id from the JWT).';
revoke all on function public.my_credit_balance() from public, anon, authenticated;
grant execute on function public.my_credit_balance() to authenticated;
