-- get_generation: one task as the backend sees it (for a retry that must know whether a submission
-- was recorded, and for reconciliation): status, job id, charge, how it ended; CR003/CR004 else.
begin;
set local search_path to public, tap;
select plan(8);

select ensure_credit_account('00000000-0000-0000-0000-00000000027a', 'pro');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000027a', 'generate', 'wavespeed', 'm27', 3)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000027a', 'generate', 'wavespeed', 'm27', 2)).task_id b;

select results_eq($$ select status, credits_used, external_task_id from get_generation((select a from t)) $$,
  $$ values ('pending', 3::bigint, null::text) $$, 'a new task: pending, what it was charged, no job id');
select results_eq($$ select task_id, user_id, task_type, provider, model, age_seconds from get_generation((select a from t)) $$,
  $$ values ((select a from t), '00000000-0000-0000-0000-00000000027a'::uuid, 'generate', 'wavespeed', 'm27', 0::float8) $$,
  'whose task it is, what for, and its age by the database''s clock');
select mark_generation_submitted((select a from t), 'job-27');
select results_eq($$ select status, external_task_id, submitted_at is not null from get_generation((select a from t)) $$,
  $$ values ('processing', 'job-27', true) $$, 'a submitted task: its job id');
select complete_generation((select a from t), 0.25, 'https://cdn/27.png');
select results_eq($$ select status, result_url, provider_cost_usd, completed_at is not null from get_generation((select a from t)) $$,
  $$ values ('completed', 'https://cdn/27.png', 0.25::numeric, true) $$, 'a completed task: its result and cost');
select fail_generation((select b from t), 'provider 500', 'api_error');
select results_eq($$ select status, failure_source, error_message, completed_at is not null from get_generation((select b from t)) $$,
  $$ values ('failed', 'api_error', 'provider 500', true) $$, 'a failed task: how it ended');
select throws_ok($$ select get_generation(gen_random_uuid()) $$, 'CR004', null, 'an unknown task is CR004');
select throws_ok($$ select get_generation(null) $$, 'CR003', null, 'a null task id is CR003');

set local role authenticated;
select throws_ok($$ select get_generation(gen_random_uuid()) $$, '42501', null, 'end users may not read it');
reset role;

select * from finish(true);
rollback;
