-- End users read their own rows and write nothing; anon reads nothing; the service reads all.
begin;
set local search_path to public, tap;
select plan(14);

select ensure_credit_account('00000000-0000-0000-0000-0000000000a1', 'basic');
select ensure_credit_account('00000000-0000-0000-0000-0000000000a2', 'basic');
select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 1);
select start_generation('00000000-0000-0000-0000-0000000000a2', 'enhance', 'wavespeed', 'm', 1);
select start_generation('00000000-0000-0000-0000-0000000000a2', 'upscale', 'wavespeed', 'm', 1);

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000a1", "role": "authenticated"}', true);
set local role authenticated;
create temp table seen as
  select (select array_agg(distinct user_id) from user_credits) accounts,
         (select array_agg(distinct user_id) from credit_transactions) ledger,
         (select array_agg(distinct user_id) from enhancement_tasks) tasks,
         (select count(*) from enhancement_tasks) task_count;
reset role;
select is((select accounts from seen), array['00000000-0000-0000-0000-0000000000a1'::uuid], 'a user sees only their account');
select is((select ledger from seen), array['00000000-0000-0000-0000-0000000000a1'::uuid], 'a user sees only their ledger rows');
select is((select tasks from seen), array['00000000-0000-0000-0000-0000000000a1'::uuid], 'a user sees only their tasks');
select is((select task_count from seen), 1::bigint, 'a user sees exactly their one task');

set local role authenticated;
select throws_ok($$ update user_credits set credits = 1000000 $$, '42501', null, 'a user cannot write their balance');
select throws_ok($$ insert into credit_transactions (user_id, amount, type) values ('00000000-0000-0000-0000-0000000000a1', 100, 'purchase') $$,
  '42501', null, 'a user cannot write the ledger');
select throws_ok($$ delete from enhancement_tasks $$, '42501', null, 'a user cannot delete tasks');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 1) $$,
  '42501', null, 'a user cannot call start_generation');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-0000000000a1', 100, 'free money', 'k') $$,
  '42501', null, 'a user cannot grant credits');
select set_config('request.jwt.claims', '', true);
create temp table anonymous_seen as select count(*) n from user_credits;
reset role;
select is((select n from anonymous_seen), 0::bigint, 'without a JWT subject an authenticated session sees no rows');

set local role anon;
select throws_ok($$ select * from user_credits $$, '42501', null, 'anon cannot read accounts');
select throws_ok($$ select * from credit_transactions $$, '42501', null, 'anon cannot read the ledger');
reset role;

set local role credits_service;
create temp table service_seen as select count(distinct user_id) n from enhancement_tasks;
select throws_ok($$ update user_credits set credits = 0 $$, '42501', null, 'the service writes only through the functions');
reset role;
select is((select n from service_seen), 2::bigint, 'the service reads every user''s rows');

select * from finish(true);
rollback;
