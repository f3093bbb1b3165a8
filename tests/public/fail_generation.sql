-- fail_generation: fails a task and refunds every credit to the bucket it came from, once; never
-- refuses a refund for the message's sake, and a completed task is never refunded.
begin;
set local search_path to public, tap;
select plan(18);

select ensure_credit_account('00000000-0000-0000-0000-00000000003a', 'free');    -- 10 monthly
select grant_credits('00000000-0000-0000-0000-00000000003a', 10, 'top-up', 'p');  -- 10 purchased
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'wavespeed', 'm', 15)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'wavespeed', 'm', 2)).task_id b;

select results_eq($$ select status, refunded_credits, balance, outcome from fail_generation((select a from t), 'provider 500', 'api_error') $$,
  $$ values ('failed', 15, 18::bigint, 'refunded') $$, 'a failure refunds every credit and reports the balance');
select results_eq($$ select monthly_credits, purchased_credits from user_credits where user_id = '00000000-0000-0000-0000-00000000003a' $$,
  $$ values (10::bigint, 8::bigint) $$, 'each credit returns to the bucket it came from');
select results_eq($$ select type, amount, monthly_amount, origin from credit_transactions where task_id = (select a from t) order by created_at, type desc $$,
  $$ values ('usage', -15::bigint, -10::bigint, 'rpc'), ('refund', 15, 10, 'rpc') $$, 'one usage and one refund row');
select results_eq($$ select error_message, failure_source, provider_cost_usd from enhancement_tasks where id = (select a from t) $$,
  $$ values ('provider 500', 'api_error', 0::numeric(12,6)) $$, 'the failure, its source and a zero cost are recorded');
select is((select credits_used_this_month from user_credits where user_id = '00000000-0000-0000-0000-00000000003a'), 2::bigint,
  'usage this month no longer counts the refunded generation');

select results_eq($$ select refunded_credits, outcome from fail_generation((select a from t), 'again') $$,
  $$ values (0, 'already_failed') $$, 'a duplicate failure refunds nothing');
select is((select count(*)::int from credit_transactions where task_id = (select a from t) and type = 'refund'), 1, 'still one refund');

select complete_generation((select b from t));
select results_eq($$ select status, refunded_credits, outcome from fail_generation((select b from t), 'late') $$,
  $$ values ('completed', 0, 'ignored_already_completed') $$, 'a late failure on a completed task is ignored');
select is((select count(*)::int from credit_transactions where task_id = (select b from t) and type = 'refund'), 0, 'a completed task is never refunded');

select lives_ok($$ select fail_generation((select (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'x', 'm', 1)).task_id), 'x', 'admin', 0.5) $$,
  'a failure may carry a provider cost');
select throws_ok($$ select fail_generation((select b from t), 'x', 'cosmic rays') $$, 'CR003', null, 'an unknown source is CR003');
select is((select error_message_normalised from enhancement_tasks where id = (select a from t)), null,
  'a message stored as given is not marked');

-- The failure path never refuses a refund for the message's sake (issue 10 item 9).
create temp table n as
  select (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'wavespeed', 'm', 1)).task_id null_msg,
         (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'wavespeed', 'm', 1)).task_id blank_msg,
         (start_generation('00000000-0000-0000-0000-00000000003a', 'enhance', 'wavespeed', 'm', 1)).task_id long_msg;
select results_eq($$ select status, refunded_credits, outcome from fail_generation((select null_msg from n), null, 'api_error') $$,
  $$ values ('failed', 1, 'refunded') $$, 'a null message still refunds');
select results_eq($$ select status, refunded_credits, outcome from fail_generation((select blank_msg from n), E' \t\r\n') $$,
  $$ values ('failed', 1, 'refunded') $$, 'a blank message still refunds');
select results_eq($$ select status, refunded_credits, outcome from fail_generation((select long_msg from n), repeat('e', 10001)) $$,
  $$ values ('failed', 1, 'refunded') $$, 'an oversized message still refunds');
select results_eq($$ select error_message, error_message_normalised from enhancement_tasks
                     where id in ((select null_msg from n), (select blank_msg from n)) $$,
  $$ values ('no error message given', 'defaulted'), ('no error message given', 'defaulted') $$,
  'a null or blank message is stored as the default reason, marked defaulted');
select results_eq($$ select error_message = repeat('e', 10000), error_message_normalised from enhancement_tasks where id = (select long_msg from n) $$,
  $$ values (true, 'truncated') $$, 'an oversized message is cut to 10,000 characters, marked truncated');
select throws_ok($$ select fail_generation(gen_random_uuid(), 'x') $$, 'CR004', null, 'an unknown task is CR004');

select * from finish(true);
rollback;
