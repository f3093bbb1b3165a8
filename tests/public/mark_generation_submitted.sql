-- mark_generation_submitted: records the provider's job id (unique per provider) and moves a
-- pending task to processing; the same id again is a no-op, any other change is refused.
begin;
set local search_path to public, tap;
select plan(11);

select ensure_credit_account('00000000-0000-0000-0000-00000000001a', 'pro');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000001a', 'enhance', 'wavespeed', 'm', 1)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000001a', 'enhance', 'wavespeed', 'm', 1)).task_id b,
         (start_generation('00000000-0000-0000-0000-00000000001a', 'enhance', 'nanobanana', 'm', 1)).task_id c;

select results_eq($$ select status, outcome from mark_generation_submitted((select a from t), 'job-1') $$,
  $$ values ('processing', 'submitted') $$, 'a pending task becomes processing');
select ok((select submitted_at is not null and external_task_id = 'job-1' from enhancement_tasks where id = (select a from t)),
  'the provider id and submission time are stored');
select results_eq($$ select status, outcome from mark_generation_submitted((select a from t), 'job-1') $$,
  $$ values ('processing', 'already_submitted') $$, 'the same id again is a no-op');
select throws_ok($$ select mark_generation_submitted((select a from t), 'job-2') $$, 'CR005', null, 'another id once one is set is CR005');
select throws_ok($$ select mark_generation_submitted((select b from t), 'job-1') $$, 'CR003', null, 'an id used by another task of the provider is CR003');
select results_eq($$ select outcome from mark_generation_submitted((select c from t), 'job-1') $$,
  $$ values ('submitted') $$, 'external ids are unique per provider, not globally');
select lives_ok($$ select fail_generation((select b from t), 'rejected', 'api_error') $$, 'b fails before submission');
select throws_ok($$ select mark_generation_submitted((select b from t), 'job-9') $$, 'CR005', null, 'submitting a finished task is CR005');
select throws_ok($$ select mark_generation_submitted(gen_random_uuid(), 'job-3') $$, 'CR004', null, 'an unknown task is CR004');
select throws_ok($$ select mark_generation_submitted((select a from t), '') $$, 'CR003', null, 'an empty id is CR003');

select throws_ok($$ select mark_generation_submitted(gen_random_uuid(), E'\t\r\n') $$, 'CR003', null, 'an id of whitespace is CR003');
select * from finish(true);
rollback;
