-- start_generation: the charge that opens a task: monthly credits first, idempotent per user and
-- key, every refusal with its code and nothing created or charged.
begin;
set local search_path to public, tap;
select plan(29);

select ensure_credit_account('00000000-0000-0000-0000-00000000000a', 'free');   -- 10 monthly
select grant_credits('00000000-0000-0000-0000-00000000000a', 20, 'top-up', 'p1'); -- 20 purchased

create temp table first_call as
  select * from start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 12, 'key-1', '{"prompt": 7}');

select is((select balance from first_call), 18::bigint, 'the balance after the charge is returned');
select is((select replayed from first_call), false, 'a first call is not a replay');
select results_eq(
  $$ select status, credits_used, model, provider, task_type from enhancement_tasks where id = (select task_id from first_call) $$,
  $$ values ('pending', 12::bigint, 'nb-pro', 'wavespeed', 'enhance') $$,
  'the task is created pending with what it costs');
select results_eq(
  $$ select type, amount, monthly_amount, balance_after from credit_transactions where task_id = (select task_id from first_call) $$,
  $$ values ('usage', -12::bigint, -10::bigint, 18::bigint) $$,
  'one usage row: monthly credits spent first (10), then purchased (2)');
select results_eq(
  $$ select total_credits, monthly_credits, purchased_credits, used_this_month from get_credit_balance('00000000-0000-0000-0000-00000000000a') $$,
  $$ values (18::bigint, 0::bigint, 18::bigint, 12::bigint) $$,
  'buckets and usage counter moved together');

create temp table replay as
  select * from start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 12, 'key-1', '{"prompt": 7}');
select is((select task_id from replay), (select task_id from first_call), 'a replay returns the first task');
select is((select balance from replay), 18::bigint, 'a replay returns the first balance');
select is((select replayed from replay), true, 'a replay says so');
select is((select credits from user_credits where user_id = '00000000-0000-0000-0000-00000000000a'), 18::bigint, 'a replay charges nothing');

select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 13, 'key-1', '{"prompt": 7}') $$,
  'CR006', null, 'the same key with another amount is CR006');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'upscale', 'wavespeed', 'nb-pro', 12, 'key-1', '{"prompt": 7}') $$,
  'CR006', null, 'the same key with another task type is CR006');
select ensure_credit_account('00000000-0000-0000-0000-00000000000b', 'pro');
select is((select replayed from start_generation('00000000-0000-0000-0000-00000000000b', 'enhance', 'wavespeed', 'nb-pro', 12, 'key-1')),
  false, 'keys are scoped per user: another user''s same key is a new call');

select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 19) $$,
  'CR001', null, 'more than the balance is CR001');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-0000000000ff', 'enhance', 'wavespeed', 'nb-pro', 1) $$,
  'CR002', null, 'no account is CR002');
select throws_ok($$ select start_generation(null, 'enhance', 'wavespeed', 'nb-pro', 1) $$, 'CR003', null, 'null user is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', ' ', 'wavespeed', 'nb-pro', 1) $$, 'CR003', null, 'blank task type is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', repeat('x', 101), 'nb-pro', 1) $$, 'CR003', null, 'oversized provider is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', null, 1) $$, 'CR003', null, 'null model is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 0) $$, 'CR003', null, 'zero credits is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', -5) $$, 'CR003', null, 'negative credits is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 1000001) $$, 'CR003', null, 'absurd credits is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 1, null, '[1]') $$, 'CR003', null, 'metadata that is not an object is CR003');

select is((select count(*)::int from enhancement_tasks where user_id = '00000000-0000-0000-0000-00000000000a'), 1, 'refused calls created no task');
select is((select count(*)::int from credit_transactions where user_id = '00000000-0000-0000-0000-00000000000a'), 3, 'refused calls wrote no ledger row');

-- Blank means blank apart from any whitespace (issue 10 item 8), and nothing is charged.
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', E'\t\n', 'wavespeed', 'nb-pro', 1) $$, 'CR003', null, 'a task type of tab and newline is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', E' \f', 'nb-pro', 1) $$, 'CR003', null, 'a provider of space and form feed is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', E'\r', 1) $$, 'CR003', null, 'a model of a carriage return is CR003');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-00000000000a', 'enhance', 'wavespeed', 'nb-pro', 1, E'\x0B\n') $$, 'CR003', null, 'an idempotency key of vertical tab and newline is CR003');
select is((select count(*)::int from enhancement_tasks where model = E'\r' or task_type = E'\t\n'), 0, 'no task was created by a whitespace argument');
select * from finish(true);
rollback;
