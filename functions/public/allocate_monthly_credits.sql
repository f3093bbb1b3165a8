-- allocate_monthly_credits: starts period p_period_start (a calendar month, UTC) for the next
-- batch of at most 1,000 accounts still in an earlier one: unused monthly credits expire
-- ('expiration' row), the tier's allowance is granted ('allocation' row), usage-this-month
-- restarts at 0 (credits_private.roll_over). Purchased credits are untouched.
-- Why batches: a charge on an account waits while the allocation holds its row lock; one batch
-- per transaction bounds that wait to one batch, whatever the number of accounts. Call it until
-- it returns accounts = 0 (the procedure run_monthly_allocation and `credits allocate` do), and
-- meanwhile every account rolls over by itself on its first charge, grant, refund or
-- ensure_credit_account call of the month (lazy roll-over), and balance reads report the new
-- month, so no caller sees last month's balance (the table user_credits shows last month's
-- figures for such an account until a write or the batch records the new month). An account
-- that never had a period (period_start null: legacy rows never allocated) is started only by
-- the allocation. A charge of the previous month refunded afterwards comes back as purchased
-- credits.
-- Accounts are taken in (period, user) order through an index, locked SKIP LOCKED: two
-- schedulers share the work, an account being charged is taken by a later batch, and nothing
-- is allocated twice (periods only move forward; one allocation row per account and period).
-- Result: period_start, accounts (how many this call moved), credits_allocated, credits_expired.
-- Errors: CR003 when p_period_start is null, infinite, not the first day of a month, before 1970,
-- or a month that has not begun in UTC (whatever the session's TimeZone).
-- Never null: period_start, accounts, credits_allocated, credits_expired.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.allocate_monthly_credits(
  p_period_start date default date_trunc('month', now() at time zone 'UTC')::date,
  out period_start date,
  out accounts integer,
  out credits_allocated bigint,
  out credits_expired bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_batch uuid[];
begin
  perform credits_private.require_period('p_period_start', p_period_start);

  -- coalesce puts never-allocated accounts first and matches the index user_credits_period_idx.
  select array_agg(b.user_id) into v_batch
    from (select uc.user_id
            from public.user_credits uc
           where coalesce(uc.period_start, '-infinity') < p_period_start
           order by coalesce(uc.period_start, '-infinity'), uc.user_id
           limit 1000
             for update skip locked) b;

  select r.accounts, r.credits_allocated, r.credits_expired into accounts, credits_allocated, credits_expired
    from credits_private.roll_over(coalesce(v_batch, '{}'), p_period_start) r;
  period_start := p_period_start;
end;
$$;

comment on function public.allocate_monthly_credits(date) is
  'Starts a monthly period for the next batch of accounts (at most 1,000): expires unused monthly credits, grants the allowance.';
revoke all on function public.allocate_monthly_credits(date) from public, anon, authenticated;
grant execute on function public.allocate_monthly_credits(date) to credits_service;
