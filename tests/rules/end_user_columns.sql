-- End users read their own rows with the user-facing columns only (contract §8, v1.2): never the
-- platform's upstream cost, provider job ids, idempotency keys, metadata, raw error messages or
-- ledger descriptions; my_generations and my_credit_transactions serve what they may read.
begin;
set local search_path to public, tap;
select plan(20);

select ensure_credit_account('00000000-0000-0000-0000-0000000000c1', 'basic');
select ensure_credit_account('00000000-0000-0000-0000-0000000000c2', 'basic');
create temp table task as
  select task_id from start_generation('00000000-0000-0000-0000-0000000000c1', 'enhance', 'wavespeed', 'm', 3,
                                       'key-c1', '{"internal": "routing"}');
select mark_generation_submitted((select task_id from task), 'job-c1');
select fail_generation((select task_id from task), 'upstream 502 from 10.0.0.3', 'callback', 0.02);
select start_generation('00000000-0000-0000-0000-0000000000c2', 'upscale', 'wavespeed', 'm', 1);
select grant_credits('00000000-0000-0000-0000-0000000000c1', 5, 'goodwill: ticket 42', 'grant-c1');
grant select on task to authenticated;

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000c1", "role": "authenticated"}', true);
set local role authenticated;
select throws_ok($$ select provider_cost_usd from enhancement_tasks $$, '42501', null, 'a user cannot read a task''s upstream cost');
select throws_ok($$ select external_task_id from enhancement_tasks $$, '42501', null, 'a user cannot read the provider''s job id');
select throws_ok($$ select idempotency_key from enhancement_tasks $$, '42501', null, 'a user cannot read a task''s idempotency key');
select throws_ok($$ select metadata from enhancement_tasks $$, '42501', null, 'a user cannot read a task''s metadata');
select throws_ok($$ select error_message from enhancement_tasks $$, '42501', null, 'a user cannot read the raw error message');
select throws_ok($$ select * from enhancement_tasks $$, '42501', null, 'a user has no SELECT on the whole task table');
select throws_ok($$ select description from credit_transactions $$, '42501', null, 'a user cannot read ledger descriptions');
select throws_ok($$ select idempotency_key from credit_transactions $$, '42501', null, 'a user cannot read a grant''s idempotency key');
select throws_ok($$ select provider_cost_usd from credit_transactions $$, '42501', null, 'a user cannot read a ledger row''s upstream cost');
select throws_ok($$ select * from credit_transactions $$, '42501', null, 'a user has no SELECT on the whole ledger table');
create temp table seen_tasks as select * from my_generations;
create temp table seen_ledger as select * from my_credit_transactions;
create temp table seen_account as select * from user_credits;
reset role;

select results_eq($$ select id, user_id::text, status, credits_used from seen_tasks $$,
  $$ select task_id, '00000000-0000-0000-0000-0000000000c1', 'failed', 3::bigint from task $$,
  'my_generations: the user''s own generation, and only it');
select results_eq($$ select type, amount from seen_ledger order by type $$,
  $$ values ('allocation', 100::bigint), ('purchase', 5), ('refund', 3), ('usage', -3) $$,
  'my_credit_transactions: the user''s own ledger rows, and only them');
select is((select array_agg(distinct user_id::text) from seen_ledger), array['00000000-0000-0000-0000-0000000000c1'],
  'my_credit_transactions holds no other user''s row');
select results_eq($$ select user_id::text, credits from seen_account $$,
  $$ values ('00000000-0000-0000-0000-0000000000c1', 105::bigint) $$, 'user_credits stays readable in full, own row only');
select is(
  (select array_agg(attname::text order by attnum) from pg_attribute where attrelid = 'public.my_generations'::regclass and attnum > 0),
  array['id', 'user_id', 'task_type', 'provider', 'model', 'status', 'credits_used', 'result_url', 'created_at', 'updated_at', 'completed_at',
        'credits_final', 'account_id'],
  'my_generations has the user-facing columns only');
select is(
  (select array_agg(attname::text order by attnum) from pg_attribute where attrelid = 'public.my_credit_transactions'::regclass and attnum > 0),
  array['id', 'user_id', 'amount', 'type', 'task_id', 'provider', 'monthly_amount', 'balance_after', 'period_start', 'created_at',
        'promotional_amount', 'debt_amount', 'kind'],
  'my_credit_transactions has the user-facing columns only');
select ok(not has_table_privilege('authenticated', 'public.enhancement_tasks', 'SELECT'),
  'authenticated holds no table-level SELECT on enhancement_tasks');

set local role anon;
select throws_ok($$ select * from my_generations $$, '42501', null, 'anon cannot read my_generations');
select throws_ok($$ select * from my_credit_transactions $$, '42501', null, 'anon cannot read my_credit_transactions');
reset role;

set local role credits_service;
select lives_ok($$ select provider_cost_usd, idempotency_key, metadata, error_message from enhancement_tasks $$,
  'the service still reads every column');
reset role;

select * from finish(true);
rollback;
