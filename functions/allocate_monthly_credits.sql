-- allocate_monthly_credits: starts period p_period_start (a calendar month, UTC) for every
-- account still in an earlier one: unused monthly credits expire ('expiration' row), the tier's
-- allowance is granted ('allocation' row), usage-this-month restarts at 0. Purchased credits are
-- untouched. Periods only move forward, so running it again, or from two schedulers at once,
-- allocates nothing twice. Accounts are locked in user order (no deadlock with the sweeper).
-- Result: period_start, accounts (how many moved to the period), credits_allocated, credits_expired.
-- Errors: CR003 when p_period_start is null, not the first day of a month, or more than a day
-- in the future.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.allocate_monthly_credits(
  p_period_start date default date_trunc('month', now())::date,
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
begin
  if p_period_start is null or extract(day from p_period_start) <> 1
     or p_period_start > (now() + interval '1 day')::date then
    raise exception using errcode = 'CR003',
      message = 'p_period_start must be the first day of a month that has begun',
      detail = format('p_period_start was %s.', coalesce(p_period_start::text, 'null')),
      hint = 'Pass date_trunc(''month'', now())::date, or omit the argument.';
  end if;

  with due as (
    select uc.user_id, uc.monthly_credits as expiring, uc.purchased_credits, t.monthly_allowance as allowance
      from public.user_credits uc
      join public.credit_tiers t on t.tier = uc.tier
     where uc.period_start is null or uc.period_start < p_period_start
     order by uc.user_id
       for update of uc
  ), moved as (
    update public.user_credits uc
       set monthly_credits = due.allowance, credits = due.purchased_credits + due.allowance,
           monthly_allowance = due.allowance, credits_used_this_month = 0,
           period_start = p_period_start, last_allocation_at = now(), updated_at = now()
      from due
     where uc.user_id = due.user_id
    returning uc.user_id, due.expiring, due.purchased_credits, due.allowance
  ), expired as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, type, description, balance_after, period_start)
    select m.user_id, -m.expiring, -m.expiring, 'expiration', 'unused monthly credits expired',
           m.purchased_credits, p_period_start
      from moved m where m.expiring > 0
  ), allocated as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, type, description, balance_after, period_start)
    select m.user_id, m.allowance, m.allowance, 'allocation',
           format('monthly allowance for %s', to_char(p_period_start, 'YYYY-MM')),
           m.purchased_credits + m.allowance, p_period_start
      from moved m where m.allowance > 0
  )
  select count(*)::integer, coalesce(sum(m.allowance), 0), coalesce(sum(m.expiring), 0)::bigint
    into accounts, credits_allocated, credits_expired
    from moved m;
  period_start := p_period_start;
end;
$$;

comment on function public.allocate_monthly_credits(date) is
  'Starts a monthly period for every account: expires unused monthly credits, grants the allowance.';
revoke all on function public.allocate_monthly_credits(date) from public, anon, authenticated;
grant execute on function public.allocate_monthly_credits(date) to credits_service;
