-- Up Migration
-- public.period_statement: an account's statement for one month (issue 15), the one result type
-- of credit_statement, my_credit_statement and credits_private.statement_of (their
-- definitions, applied after this):
--   closing_balance = opening_balance + allocated + purchased - used + refunded - expired + adjusted.
create type public.period_statement as (
  period_start date,
  period_end date,
  opening_balance bigint,
  allocated bigint,
  purchased bigint,
  used bigint,
  refunded bigint,
  expired bigint,
  adjusted bigint,
  closing_balance bigint,
  transactions integer
);
comment on type public.period_statement is
  'An account''s statement for one UTC month: opening balance, movements by kind, closing balance, ledger rows.';

-- Down Migration
-- The deploy drops every definition before migrations run down, so nothing returns it here.
drop type public.period_statement;
