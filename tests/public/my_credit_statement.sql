-- my_credit_statement: an end user's own statement, the user from the JWT only; no JWT user is
-- 42501, and a month that has not begun is refused as for the service.
begin;
set local search_path to public, tap;
select plan(4);

-- An account on basic (100 a month): a purchase, three charges, one refunded.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f1', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000f1', 50, 'pack', 'pack-1');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000f1', 'enhance', 'wavespeed', 'm', 10 * i)).task_id, i
    from generate_series(1, 3) i;
select fail_generation((select task_id from t where i = 2), 'oom');

-- End users: their own statement, from the JWT.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000f1"}', true);
select results_eq($$ select closing_balance from my_credit_statement() $$, $$ values (110::bigint) $$, 'an end user reads their own statement');
select throws_ok($$ select * from my_credit_statement((date_trunc('month', now() at time zone 'UTC') + interval '1 month')::date) $$,
  'CR003', null, 'a month that has not begun is CR003');
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select * from my_credit_statement() $$, '42501', null, 'no JWT user is 42501');
reset role;
set local role anon;
select throws_ok($$ select * from my_credit_statement() $$, '42501', null, 'anon cannot call it');
reset role;

select * from finish(true);
rollback;
