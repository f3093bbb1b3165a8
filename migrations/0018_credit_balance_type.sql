-- Up Migration
-- public.credit_balance: the balance result, defined once (issue 14): what get_credit_balance and
-- my_credit_balance return and credits_private.balance_of computes; ensure_credit_account returns
-- `created` and then these columns. A composite type is a single JSON object through PostgREST,
-- as the functions' OUT columns were. The functions are definitions, applied after this.
create type public.credit_balance as (
  total_credits bigint,
  monthly_credits bigint,
  purchased_credits bigint,
  tier text,
  monthly_allowance integer,
  used_this_month bigint,
  period_start date,
  period_end date
);
comment on type public.credit_balance is
  'An account''s spendable total, its two buckets, tier, allowance, usage this month and current period (period_end exclusive).';

-- Down Migration
-- The deploy drops every definition before migrations run down, so nothing returns it here.
drop type public.credit_balance;
