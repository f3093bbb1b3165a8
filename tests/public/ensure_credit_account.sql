-- ensure_credit_account: creates an account with its tier's allowance for the current UTC month,
-- or returns the existing one unchanged; a refused call creates nothing.
begin;
set local search_path to public, tap;
select plan(9);

select results_eq(
  $$ select created, total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, period_start
       from ensure_credit_account('00000000-0000-0000-0000-00000000005a', 'pro') $$,
  $$ values (true, 500::bigint, 500::bigint, 0::bigint, 'pro', 500, date_trunc('month', now() at time zone 'UTC')::date) $$,
  'a new account starts the current period with its tier''s allowance');
select results_eq(
  $$ select type, amount, monthly_amount, balance_after from credit_transactions where user_id = '00000000-0000-0000-0000-00000000005a' $$,
  $$ values ('allocation', 500::bigint, 500::bigint, 500::bigint) $$, 'the allowance is one allocation row');
select results_eq(
  $$ select created, total_credits, tier from ensure_credit_account('00000000-0000-0000-0000-00000000005a', 'free') $$,
  $$ values (false, 500::bigint, 'pro') $$, 'an existing account is returned unchanged, tier included');
select is((select count(*)::int from credit_transactions where user_id = '00000000-0000-0000-0000-00000000005a'), 1, 'calling again writes nothing');
select is((select tier from ensure_credit_account('00000000-0000-0000-0000-00000000005b')), 'free', 'the default tier is free');
select throws_ok($$ select ensure_credit_account('00000000-0000-0000-0000-00000000005c', 'platinum') $$, 'CR003', null, 'an unknown tier is CR003');
select throws_ok($$ select ensure_credit_account(null) $$, 'CR003', null, 'a null user is CR003');
select is((select count(*)::int from user_credits where user_id = '00000000-0000-0000-0000-00000000005c'), 0, 'a refused call creates nothing');

select throws_ok($$ select ensure_credit_account('00000000-0000-0000-0000-00000000005c', E'\t') $$, 'CR003', null, 'a tier of whitespace is CR003');
select * from finish(true);
rollback;
