-- Balances past 2^31-1: every operation works for a large account and for the others beside it.
begin;
set local search_path to public, tap;
select plan(12);

-- One account taken past 2^31-1 credits by grants, among normal accounts (issue 10, item 3):
-- every operation still works for it and for the others.
select ensure_credit_account('00000000-0000-0000-0000-0000000000e1', 'basic');
select ensure_credit_account('00000000-0000-0000-0000-0000000000e2', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000e1', 100000000, 'bulk', 'bulk-' || i) from generate_series(1, 22) i;
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-0000000000e1'), 2200000100::bigint,
  '22 grants of 100,000,000 take the account past 2^31-1');
select results_eq($$ select balance, replayed from grant_credits('00000000-0000-0000-0000-0000000000e1', 100000000, 'bulk', 'bulk-23') $$,
  $$ values (2300000100::bigint, false) $$, 'and one more grant still works');

create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000e1', 'enhance', 'wavespeed', 'm', 40)).task_id big_failed,
         (start_generation('00000000-0000-0000-0000-0000000000e1', 'enhance', 'wavespeed', 'm', 30)).task_id big_stale,
         (start_generation('00000000-0000-0000-0000-0000000000e2', 'enhance', 'wavespeed', 'm', 20)).task_id small_stale;
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-0000000000e1'), 2300000030::bigint,
  'charges are taken from the large account');
select results_eq($$ select refunded_credits, balance, outcome from fail_generation((select big_failed from t), 'provider 500', 'api_error') $$,
  $$ values (40, 2300000070::bigint, 'refunded') $$, 'its failure is refunded');

update enhancement_tasks set updated_at = now() - interval '2 hours'
 where id in ((select big_stale from t), (select small_stale from t));
select results_eq($$ select task_id, refunded_credits, balance from expire_stale_generations('30 minutes') order by refunded_credits $$,
  $$ values ((select small_stale from t), 20, 100::bigint), ((select big_stale from t), 30, 2300000100::bigint) $$,
  'the sweeper refunds its stale task and the other user''s in the same batch');

-- Both accounts back in the previous period: the allocation moves both.
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
update user_credits set period_start = (select last_month from p)
 where user_id in ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000e2');
update credit_transactions set period_start = (select last_month from p)
 where user_id in ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000e2') and period_start is not null;
select results_eq($$ select accounts, credits_allocated, credits_expired from allocate_monthly_credits((select this_month from p)) $$,
  $$ values (2, 200::bigint, 200::bigint) $$, 'the allocation moves the large account and the other one');
select results_eq($$ select total_credits, monthly_credits, purchased_credits from get_credit_balance('00000000-0000-0000-0000-0000000000e1') $$,
  $$ values (2300000100::bigint, 100::bigint, 2300000000::bigint) $$, 'the large account''s balance after the period change');
select results_eq($$ select total_credits, monthly_credits, purchased_credits from get_credit_balance('00000000-0000-0000-0000-0000000000e2') $$,
  $$ values (100::bigint, 100::bigint, 0::bigint) $$, 'the other account''s balance after the period change');
select is((select sum(amount) from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000e1'), 2300000100::numeric,
  'the ledger sums to the large balance');
select is((select balance_after from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000e1' and type = 'allocation' and period_start = (select this_month from p)),
  2300000100::bigint, 'ledger rows carry balances past 2^31-1');
select is((select data_type from information_schema.columns where table_name = 'user_credits' and column_name = 'credits'), 'bigint',
  'balances are bigint');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
