begin;
set local search_path to public, tap;
select plan(4);

select ensure_credit_account('00000000-0000-0000-0000-00000000027a', 'pro');
create temp table t as select (start_generation('00000000-0000-0000-0000-00000000027a', 'generate', 'wavespeed', 'm27', 3)).task_id a;

select results_eq($$ select status, credits_used, external_task_id from get_generation((select a from t)) $$,
  $$ values ('pending', 3::bigint, null::text) $$, 'a new task: pending, what it was charged, no job id');
select mark_generation_submitted((select a from t), 'job-27');
select results_eq($$ select status, external_task_id, submitted_at is not null from get_generation((select a from t)) $$,
  $$ values ('processing', 'job-27', true) $$, 'a submitted task: its job id');
select throws_ok($$ select get_generation(gen_random_uuid()) $$, 'CR004', null, 'an unknown task is CR004');
select throws_ok($$ select get_generation(null) $$, 'CR003', null, 'a null task id is CR003');

select * from finish(true);
rollback;
