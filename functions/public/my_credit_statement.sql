-- my_credit_statement: credit_statement for the calling end user (the JWT claim 'sub'), for the
-- user's own billing page; the figures carry nothing internal. Opening balance, allocated
-- (allowance and upgrade top-ups), purchased, promoted (promotional grants), used, refunded,
-- expired, adjusted, closing balance and the number of ledger rows, each the sum of the ledger's
-- rows (credits_private.statement_of says how):
-- closing_balance = opening_balance + allocated + purchased + promoted - used + refunded + settled
-- - expired + adjusted. used is what the month's generations finally cost (their holds less
-- their settlements, contract §11); refunded, failures' refunds; settled, the settlements this
-- month of generations charged in an earlier month.
-- Result: one public.period_statement.
-- Errors: 42501 when the request carries no user id, CR003 (p_period_start not the first day of a
-- month that has begun in UTC, from January 1970: infinite dates included).
-- Never null: period_start, period_end, opening_balance, allocated, purchased, used, refunded, expired, adjusted, closing_balance, transactions, promoted, settled.
-- SECURITY DEFINER: end users read their own statement; the user id comes only from the JWT.
create or replace function public.my_credit_statement(
  p_period_start date default date_trunc('month', now() at time zone 'UTC')::date
)
returns public.period_statement
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  return credits_private.statement_of(credits_private.jwt_user(), p_period_start);
end;
$$;

comment on function public.my_credit_statement(date) is
  'The calling end user''s statement for one UTC month: opening balance, allocated, purchased, promoted, used, refunded, settled, expired, adjusted, closing balance.';
revoke all on function public.my_credit_statement(date) from public, anon, authenticated;
grant execute on function public.my_credit_statement(date) to authenticated;
