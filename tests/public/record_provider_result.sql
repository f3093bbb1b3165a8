-- record_provider_result: a provider's result applied to its task (completed, or failed and
-- refunded), or stored until the job's submission is recorded; never refused for its size.
begin;
set local search_path to public, tap;
select plan(28);

select ensure_credit_account('00000000-0000-0000-0000-00000000026a', 'pro');
insert into provider_prices (provider, model, cost_usd, effective_from) values ('wavespeed', 'm26', 0.02, '2020-01-01');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000026a', 'generate', 'wavespeed', 'm26', 4)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000026a', 'generate', 'wavespeed', 'm26', 4)).task_id b,
         (start_generation('00000000-0000-0000-0000-00000000026a', 'generate', 'wavespeed', 'm26', 4)).task_id c;
select mark_generation_submitted((select a from t), 'job-a');
select mark_generation_submitted((select b from t), 'job-b');

-- A known job: completed at the price table's cost, or failed and refunded; duplicates report.
select results_eq($$ select status, outcome from record_provider_result('wavespeed', 'job-a', 'completed', null, 'https://cdn/a.png') $$,
  $$ values ('completed', 'completed') $$, 'a completed result completes its task');
select ok((select provider_cost_usd = 0.02 and result_url = 'https://cdn/a.png' from enhancement_tasks where id = (select a from t)),
  'at the price in effect, with the result URL');
select results_eq($$ select outcome from record_provider_result('wavespeed', 'job-a', 'completed') $$,
  $$ values ('already_completed') $$, 'the same result again changes nothing');
select results_eq($$ select outcome from record_provider_result('wavespeed', 'job-a', 'failed', null, null, 'late') $$,
  $$ values ('ignored_already_completed') $$, 'a failure after the completion is ignored');
select results_eq($$ select status, outcome from record_provider_result('wavespeed', 'job-b', 'failed', null, null, 'nsfw') $$,
  $$ values ('failed', 'refunded') $$, 'a failed result fails and refunds its task');
select ok((select failure_source = 'callback' and error_message = 'nsfw' from enhancement_tasks where id = (select b from t)),
  'as a callback failure, with the provider''s error');

-- An unknown job: stored, and applied when its submission is recorded.
select results_eq($$ select task_id, status, outcome from record_provider_result('wavespeed', 'job-c', 'completed', 0.03, 'https://cdn/c.png', null, '{"id": "job-c"}') $$,
  $$ values (null::uuid, null::text, 'stored') $$, 'a result for a job no task has yet is stored');
select results_eq($$ select outcome from record_provider_result('wavespeed', 'job-c', 'failed') $$,
  $$ values ('already_stored') $$, 'the first stored result of a job is kept');
select results_eq($$ select status, outcome from mark_generation_submitted((select c from t), 'job-c') $$,
  $$ values ('completed', 'submitted') $$, 'recording the job applies the stored result');
select ok((select provider_cost_usd = 0.03 and result_url = 'https://cdn/c.png' from enhancement_tasks where id = (select c from t)),
  'with the stored cost and URL');
select ok((select applied_at is not null and task_id = (select c from t) from credits_private.provider_results where external_task_id = 'job-c'),
  'the stored result is marked applied, with its task');
select results_eq($$ select outcome from record_provider_result('nanobanana', 'job-a', 'completed') $$,
  $$ values ('stored') $$, 'jobs are per provider');

select throws_ok($$ select record_provider_result('wavespeed', 'job-x', 'processing') $$, 'CR003', null, 'an intermediate status is CR003');
select throws_ok($$ select record_provider_result('wavespeed', ' ', 'completed') $$, 'CR003', null, 'a blank job id is CR003');
select throws_ok($$ select record_provider_result('wavespeed', 'job-x', 'completed', -1) $$, 'CR003', null, 'a negative cost is CR003');
select throws_ok($$ select record_provider_result('wavespeed', 'job-x', 'completed', null, null, null, '[1]') $$, 'CR003', null, 'a payload that is not an object is CR003');
select results_eq($$ select outcome from record_provider_result('wavespeed', 'job-big', 'completed', null, repeat('x', 5000), null,
                                                                  jsonb_build_object('input', repeat('i', 70000))) $$,
  $$ values ('stored') $$, 'a result is never refused for its size');
select ok((select result_url is null and payload = '{"oversized": true}' from credits_private.provider_results where external_task_id = 'job-big'),
  'an oversized URL is left out, an oversized payload replaced by a marker');
-- Settlements (contract §11): the credits used, or the outputs a batch delivered of those asked for.
create temp table v as
  select (start_generation('00000000-0000-0000-0000-00000000026a', 'video', 'wavespeed', 'm26', 30)).task_id used,
         (start_generation('00000000-0000-0000-0000-00000000026a', 'batch', 'wavespeed', 'm26', 40, null,
                           '{"outputs_requested": 4}')).task_id batch,
         (start_generation('00000000-0000-0000-0000-00000000026a', 'batch', 'wavespeed', 'm26', 40)).task_id unasked,
         (start_generation('00000000-0000-0000-0000-00000000026a', 'video', 'wavespeed', 'm26', 10)).task_id early;
select mark_generation_submitted((select used from v), 'job-used');
select mark_generation_submitted((select batch from v), 'job-batch');
select mark_generation_submitted((select unasked from v), 'job-unasked');
select results_eq($$ select outcome, credits_final, refunded_credits
                      from record_provider_result('wavespeed', 'job-used', 'completed', p_credits_used => 12) $$,
  $$ values ('completed', 12::bigint, 18) $$, 'the credits used settle the hold, the rest comes back');
select results_eq($$ select credits_final, refunded_credits
                      from record_provider_result('wavespeed', 'job-batch', 'completed', p_outputs_delivered => 3) $$,
  $$ values (30::bigint, 10) $$, 'a batch that delivered 3 of the 4 outputs it asked for is settled at 3/4 of its hold');
select results_eq($$ select credits_final, refunded_credits
                      from record_provider_result('wavespeed', 'job-unasked', 'completed', p_outputs_delivered => 1) $$,
  $$ values (40::bigint, 0) $$, 'without outputs_requested, the outputs delivered settle the whole hold');
select throws_ok($$ select record_provider_result('wavespeed', 'job-used', 'completed', p_credits_used => 13) $$, 'CR006', null,
  'another figure for a settled job is CR006');
select results_eq($$ select outcome from record_provider_result('wavespeed', 'job-early', 'completed', p_credits_used => 99) $$,
  $$ values ('stored') $$, 'a result before its submission keeps its figure until then');
select results_eq($$ select status from mark_generation_submitted((select early from v), 'job-early') $$,
  $$ values ('completed') $$, 'the submission applies it');
select results_eq($$ select credits_final from get_generation((select early from v)) $$,
  $$ values (10::bigint) $$, 'a stored figure above the hold settles the whole hold: the submission is never refused for it');
-- A stored figure above the hold settles the whole hold, outputs or not (no proportional default).
create temp table x as
  select (start_generation('00000000-0000-0000-0000-00000000026a', 'batch', 'wavespeed', 'm26', 40, null,
                           '{"outputs_requested": 4}')).task_id early;
select record_provider_result('wavespeed', 'job-x', 'completed', p_credits_used => 99, p_outputs_delivered => 1);
select mark_generation_submitted((select early from x), 'job-x');
select results_eq($$ select credits_final from get_generation((select early from x)) $$,
  $$ values (40::bigint) $$, 'a stored figure above the hold settles the whole hold, whatever the outputs delivered');
-- Results of jobs no task recorded, priced per unit by the units they reported.
insert into provider_prices (provider, model, cost_usd, effective_from, unit) values ('wavespeed', 'v26', 0.05, '2020-01-01', 'second');
select record_provider_result('wavespeed', 'job-lost', 'completed', null, null, null, '{"model": "v26"}', p_provider_units => 10);
update credits_private.provider_results set received_at = now() - interval '11 minutes' where external_task_id = 'job-lost';
select results_eq($$ select cost_usd from monitoring.unmatched_provider_results where external_task_id = 'job-lost' $$,
  $$ values (0.5::numeric) $$, 'an unmatched result of a model priced per unit costs the units it reported');
select is((select count(*)::int from verify_ledger()), 0, 'the ledger is sound');

select * from finish(true);
rollback;
