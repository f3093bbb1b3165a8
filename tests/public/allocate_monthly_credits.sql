-- allocate_monthly_credits: one batch of the month's start: unused monthly credits expire, the
-- allowance is granted, purchased credits stay; periods only move forward.
begin;
set local search_path to public, tap;
select plan(13);

-- An account in the previous period: 10 monthly credits, 4 spent on a task that is still running.
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
select ensure_credit_account('00000000-0000-0000-0000-00000000007a', 'free');
select grant_credits('00000000-0000-0000-0000-00000000007a', 7, 'top-up', 'p');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000007a', 'enhance', 'wavespeed', 'm', 4)).task_id a;
update user_credits set period_start = (select last_month from p) where user_id = '00000000-0000-0000-0000-00000000007a';
update credit_transactions set period_start = (select last_month from p)
 where user_id = '00000000-0000-0000-0000-00000000007a' and period_start is not null;
select ensure_credit_account('00000000-0000-0000-0000-00000000007b', 'pro');  -- already in this month

create temp table a1 as select * from allocate_monthly_credits((select this_month from p));
select results_eq($$ select accounts, credits_allocated, credits_expired from a1 $$,
  $$ values (1, 10::bigint, 6::bigint) $$, 'one account moves: 6 unused monthly credits expire, 10 are granted');
select results_eq(
  $$ select total_credits, monthly_credits, purchased_credits, used_this_month, period_start
       from get_credit_balance('00000000-0000-0000-0000-00000000007a') $$,
  $$ values (17::bigint, 10::bigint, 7::bigint, 0::bigint, (select this_month from p)) $$, 'purchased credits stay, usage restarts');
select results_eq(
  $$ select type, amount, balance_after from credit_transactions
      where user_id = '00000000-0000-0000-0000-00000000007a' and type in ('expiration', 'allocation') and period_start = (select this_month from p)
      order by type desc $$,
  $$ values ('expiration', -6::bigint, 7::bigint), ('allocation', 10, 17) $$, 'expiry and allocation are ledger rows');
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-00000000007b'), 500::bigint, 'an account already in the period is left alone');

select results_eq($$ select accounts from allocate_monthly_credits((select this_month from p)) $$, $$ values (0) $$, 'a second run allocates nothing');
select results_eq($$ select accounts from allocate_monthly_credits((select last_month from p)) $$, $$ values (0) $$, 'periods never move back');

-- The task charged last period fails now: its monthly credits come back as purchased ones.
select results_eq($$ select refunded_credits, balance from fail_generation((select a from t), 'late failure') $$,
  $$ values (4, 21::bigint) $$, 'a refund after the period changed returns every credit');
select results_eq($$ select monthly_credits, purchased_credits, credits_used_this_month from user_credits where user_id = '00000000-0000-0000-0000-00000000007a' $$,
  $$ values (10::bigint, 11::bigint, 0::bigint) $$, 'last period''s monthly credits return as purchased ones');

update credit_tiers set monthly_allowance = 0 where tier = 'basic';
select ensure_credit_account('00000000-0000-0000-0000-00000000007c', 'basic');
select is((select count(*)::int from credit_transactions where user_id = '00000000-0000-0000-0000-00000000007c'), 0, 'a zero allowance writes no allocation row');

select throws_ok($$ select allocate_monthly_credits(((select this_month from p) + 14)) $$, 'CR003', null, 'a mid-month date is CR003');
select throws_ok($$ select allocate_monthly_credits(((select this_month from p) + interval '2 months')::date) $$, 'CR003', null, 'a future period is CR003');
select throws_ok($$ select allocate_monthly_credits(null) $$, 'CR003', null, 'a null period is CR003');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound after the period change');

select * from finish(true);
rollback;
