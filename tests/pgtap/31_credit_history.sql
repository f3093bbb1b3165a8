begin;
set local search_path to public, tap;
select plan(17);

-- An account on basic (100 a month): a purchase, three charges, one refunded.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f1', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000f1', 50, 'pack', 'pack-1');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000f1', 'enhance', 'wavespeed', 'm', 10 * i)).task_id, i
    from generate_series(1, 3) i;
select fail_generation((select task_id from t where i = 2), 'oom');

-- History: newest first, (created_at, id) order, pages that join exactly.
select results_eq($$ select count(*)::int from credit_history('00000000-0000-0000-0000-0000000000f1') $$,
  $$ values (6) $$, 'every ledger row of the account');
select results_eq($$ select array_agg(id order by created_at desc, id desc) from credit_history('00000000-0000-0000-0000-0000000000f1') $$,
  $$ select array_agg(id order by created_at desc, id desc) from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000f1' $$,
  'newest first, ties by id');
create temp table page1 as select * from credit_history('00000000-0000-0000-0000-0000000000f1', null, 4);
create temp table page2 as
  select * from credit_history('00000000-0000-0000-0000-0000000000f1',
                               (select id from page1 order by created_at, id limit 1), 4);
select is((select count(*)::int from page1), 4, 'a page holds p_limit rows');
select is((select count(*)::int from page2), 2, 'the next page the rest');
select is_empty($$ select id from page1 intersect select id from page2 $$, 'no row on two pages');
select results_eq($$ select type, amount from credit_history('00000000-0000-0000-0000-0000000000f1') where type = 'purchase' $$,
  $$ values ('purchase', 50::bigint) $$, 'with type and amount');
select results_eq($$ select description from credit_history('00000000-0000-0000-0000-0000000000f1') where type = 'purchase' $$,
  $$ values ('pack') $$, 'the service sees the description');
select is_empty($$ select * from credit_history('00000000-0000-0000-0000-0000000000ff') $$, 'a user without an account has an empty history');
select throws_ok($$ select * from credit_history('00000000-0000-0000-0000-0000000000f1', null, 0) $$, 'CR003', 'p_limit must be between 1 and 1000', 'p_limit 0 is CR003');
select throws_ok($$ select * from credit_history('00000000-0000-0000-0000-0000000000f1', gen_random_uuid()) $$, 'CR003',
  'p_before is not a ledger row of this user', 'a cursor of no row of this user is CR003');

-- Statement: each figure the ledger's sum; closing = opening + movements = the balance.
select results_eq($$ select opening_balance, allocated, purchased, used, refunded, expired, adjusted, closing_balance, transactions
                       from credit_statement('00000000-0000-0000-0000-0000000000f1') $$,
  $$ values (0::bigint, 100::bigint, 50::bigint, 60::bigint, 20::bigint, 0::bigint, 0::bigint, 110::bigint, 6) $$,
  'this month: allowance 100, purchase 50, used 60, refunded 20, closing 110');
select is((select closing_balance from credit_statement('00000000-0000-0000-0000-0000000000f1')),
          (select credits from user_credits where user_id = '00000000-0000-0000-0000-0000000000f1'), 'the closing balance is the balance');
select results_eq($$ select opening_balance, closing_balance, transactions
                       from credit_statement('00000000-0000-0000-0000-0000000000f1', (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date) $$,
  $$ values (0::bigint, 0::bigint, 0) $$, 'last month: nothing yet');
select throws_ok($$ select * from credit_statement('00000000-0000-0000-0000-0000000000f1', '2026-01-15') $$, 'CR003', null, 'a period not starting on the 1st is CR003');
select throws_ok($$ select * from credit_statement('00000000-0000-0000-0000-0000000000f1', (date_trunc('month', now() at time zone 'UTC') + interval '1 month')::date) $$,
  'CR003', null, 'a month that has not begun is CR003');

-- End users: their own rows and statement, from the JWT, without internal columns.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000f1"}', true);
select results_eq($$ select count(*)::int, sum(amount)::bigint from my_credit_history() $$, $$ values (6, 110::bigint) $$,
  'an end user reads their own history');
select results_eq($$ select closing_balance from my_credit_statement() $$, $$ values (110::bigint) $$, 'and their own statement');
reset role;

select * from finish(true);
rollback;
