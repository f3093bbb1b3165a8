-- roll_over: moves the given accounts into period p_period (a calendar month, UTC) if they are
-- in an earlier one (or none): a scheduled downgrade (pending_tier, change_tier) takes effect (its
-- limits with it: refresh_limited), the
-- tier's low-balance threshold applies (unless the account has its own), unused monthly credits
-- expire ('expiration' row) but up to the new period's tier's rollover_cap, which stay monthly
-- credits of the new period (contract §13: the allocation row's description says how many were
-- carried), the tier's allowance is granted ('allocation' row), usage this month
-- restarts at 0; an account in debt repays it first from the allowance (contract §13: the
-- allocation row's debt_amount). Purchased and promotional credits are untouched (a lot expires on its own date,
-- not with the period). An account already in p_period or a later one is left alone, so a period
-- starts once per account whoever gets there first: the allocation batch or the account's own
-- first charge, grant or refund of the month (the lazy roll-over).
-- The caller must hold the accounts' row locks (FOR UPDATE): the buckets read here are the ones
-- written.
-- Result: accounts (how many moved), credits_allocated, credits_expired.
create or replace function credits_private.roll_over(
  p_user_ids uuid[],
  p_period date,
  out accounts integer,
  out credits_allocated bigint,
  out credits_expired bigint
)
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_tier_changed uuid[];
begin
  with due as (
    select uc.user_id, uc.monthly_credits - least(uc.monthly_credits, t.rollover_cap) as expiring,
           least(uc.monthly_credits, t.rollover_cap) as carried, uc.purchased_credits + uc.promotional_credits as kept,
           t.tier, t.monthly_allowance as allowance,
           t.low_balance_threshold as threshold, uc.pending_tier is not null as tier_changes,
           least(coalesce(d.debt_credits, 0), t.monthly_allowance) as repaid
      from public.user_credits uc
      join public.credit_tiers t on t.tier = coalesce(uc.pending_tier, uc.tier)
      left join credits_private.account_debts d on d.user_id = uc.user_id
     where uc.user_id = any(p_user_ids)
       and (uc.period_start is null or uc.period_start < p_period)
  ), moved as (
    update public.user_credits uc
       set tier = due.tier, pending_tier = null,
           low_balance_threshold = coalesce(uc.low_balance_threshold_override, due.threshold),
           monthly_credits = due.carried + due.allowance - due.repaid,
           credits = due.kept + due.carried + due.allowance - due.repaid,
           monthly_allowance = due.allowance, credits_used_this_month = 0,
           period_start = p_period, last_allocation_at = now(), updated_at = now()
      from due
     where uc.user_id = due.user_id
    returning uc.user_id, due.expiring, due.carried, due.kept, due.allowance, due.tier_changes, due.repaid
  ), repaid as (
    update credits_private.account_debts d
       set debt_credits = d.debt_credits - m.repaid, updated_at = now()
      from moved m
     where d.user_id = m.user_id and m.repaid > 0
  ), expired as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, type, description, balance_after, period_start)
    select m.user_id, -m.expiring, -m.expiring, 'expiration',
           case when m.carried > 0 then format('unused monthly credits expired (%s carried over)', m.carried)
                else 'unused monthly credits expired' end,
           m.kept + m.carried, p_period
      from moved m where m.expiring > 0
  ), allocated as (
    insert into public.credit_transactions
      (user_id, amount, monthly_amount, debt_amount, type, description, balance_after, period_start)
    select m.user_id, m.allowance, m.allowance - m.repaid, nullif(m.repaid, 0), 'allocation',
           format('monthly allowance for %s', to_char(p_period, 'YYYY-MM'))
             || case when m.carried > 0 then format(' (%s unused credits carried over)', m.carried) else '' end,
           m.kept + m.carried + m.allowance - m.repaid, p_period
      from moved m where m.allowance > 0
  )
  select count(*)::integer, coalesce(sum(m.allowance), 0)::bigint, coalesce(sum(m.expiring), 0)::bigint,
         array_agg(m.user_id) filter (where m.tier_changes)
    into accounts, credits_allocated, credits_expired, v_tier_changed
    from moved m;
  if v_tier_changed is not null then
    perform credits_private.refresh_limited(v_tier_changed);
  end if;
end;
$$;

comment on function credits_private.roll_over(uuid[], date) is
  'Starts period p_period for the given (locked) accounts still in an earlier one.';
revoke all on function credits_private.roll_over(uuid[], date) from public;
