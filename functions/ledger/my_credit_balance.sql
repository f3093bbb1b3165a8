-- my_credit_balance: get_credit_balance for the calling end user, whose id is the JWT claim
-- 'sub' that PostgREST puts in request.jwt.claims. It takes no argument, so a user can never ask
-- for another's balance.
-- Result: one public.credit_balance, as get_credit_balance.
-- Errors: 42501 when the request carries no user id (no claims, claims that are not JSON, a
-- 'sub' that is not a uuid), CR002 when the user has no account.
-- Never null: total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month.
-- SECURITY DEFINER: end users read their balance without any privilege beyond this function;
-- the user id comes only from the JWT, never from an argument.
create or replace function public.my_credit_balance()
returns public.credit_balance
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  v_sub text;
begin
  begin
    v_sub := nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub';
  exception when invalid_text_representation then
    v_sub := null; -- claims that are not JSON name no user: 42501 below, not a parse error
  end;
  if v_sub is null or v_sub !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    raise exception using errcode = '42501',
      message = 'no authenticated user',
      detail = format('request.jwt.claims carries sub %s.', coalesce(quote_literal(v_sub), 'null')),
      hint = 'Call this function with a user''s JWT (role authenticated).';
  end if;
  return credits_private.balance_of(v_sub::uuid);
end;
$$;

comment on function public.my_credit_balance() is 'The calling end user''s balance (user id from the JWT).';
revoke all on function public.my_credit_balance() from public, anon, authenticated;
grant execute on function public.my_credit_balance() to authenticated;
