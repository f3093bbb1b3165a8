-- credit_statement: an account's statement for one calendar month (UTC; default: this month),
-- for support and billing pages: opening balance, allocated (allowance and upgrade top-ups),
-- purchased, promoted (promotional grants), used, refunded, expired, adjusted, closing balance
-- and the number of ledger rows, each the sum of the ledger's rows (credits_private.statement_of
-- says how):
-- closing_balance = opening_balance + allocated + purchased + promoted - used + refunded + settled
-- - expired + adjusted. used is what the month's generations finally cost (their holds less
-- their settlements, contract §11); refunded, failures' refunds; settled, the settlements this
-- month of generations charged in an earlier month.
-- Result: one public.period_statement. For an account whose month has not started for it yet
-- (no write this month, the allocation not there yet), this month shows no allocation or
-- expiration, and its closing balance is the ledger's, not what get_credit_balance reports.
-- Errors: CR003 invalid argument (null user; p_period_start not the first day of a month that has
-- begun in UTC, from January 1970: infinite dates included). A user without an account gets a statement of zeros.
-- Never null: period_start, period_end, opening_balance, allocated, purchased, used, refunded, expired, adjusted, closing_balance, transactions, promoted, settled.
-- SECURITY DEFINER: the service role reads the ledger without any privilege on the tables.
create or replace function public.credit_statement(
  p_user_id uuid,
  p_period_start date default date_trunc('month', now() at time zone 'UTC')::date
)
returns public.period_statement
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  return credits_private.statement_of(p_user_id, p_period_start);
end;
$$;

comment on function public.credit_statement(uuid, date) is
  'An account''s statement for one UTC month: opening balance, allocated, purchased, promoted, used, refunded, settled, expired, adjusted, closing balance.';
revoke all on function public.credit_statement(uuid, date) from public, anon, authenticated;
grant execute on function public.credit_statement(uuid, date) to credits_service;
