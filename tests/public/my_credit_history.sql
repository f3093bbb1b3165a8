-- my_credit_history: an end user's own ledger, the user from the JWT only, without the columns
-- only the service may see (description, origin); no JWT user is 42501.
begin;
set local search_path to public, tap;
select plan(7);

-- An account on basic (100 a month): a purchase, three charges, one refunded; and another user.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f1', 'basic');
select grant_credits('00000000-0000-0000-0000-0000000000f1', 50, 'pack', 'pack-1');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-0000000000f1', 'enhance', 'wavespeed', 'm', 10 * i)).task_id, i
    from generate_series(1, 3) i;
select fail_generation((select task_id from t where i = 2), 'oom');
select ensure_credit_account('00000000-0000-0000-0000-0000000000f2', 'pro');

-- End users: their own rows, from the JWT, without internal columns.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000f1"}', true);
select results_eq($$ select count(*)::int, sum(amount)::bigint from my_credit_history() $$, $$ values (6, 110::bigint) $$,
  'an end user reads their own history');
create temp table seen as select * from my_credit_history();
select results_eq($$ select count(*)::int from my_credit_history(null, 4) $$, $$ values (4) $$, 'a page at a time');
select throws_ok($$ select * from my_credit_history(null, 1001) $$, 'CR003', null, 'p_limit over 1000 is CR003');
select throws_ok($$ select * from my_credit_history(gen_random_uuid()) $$, 'CR003', null, 'a cursor of no row of the user is CR003');
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select * from my_credit_history() $$, '42501', null, 'no JWT user is 42501');
reset role;

select is_empty($$ select id from seen except select id from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000f1' $$,
  'only the user''s own rows');
select ok((select not (proargnames && array['description', 'origin']) from pg_proc where oid = 'public.my_credit_history(uuid, integer)'::regprocedure),
  'no description or origin among its columns');

select * from finish(true);
rollback;
