-- credits_private.enhancement_task_is_valid, the integrity rule of a task row (its CHECK
-- enhancement_tasks_row_check, migration 0006): each broken rule is refused with 23514 and a
-- message naming it, on insert and update; legacy tasks keep their exemption from the lifecycle.
begin;
set local search_path to public, tap;
select plan(14);

-- A valid row to break one rule at a time.
create temp table task_row as
  select 'pending'::text status, 'rpc'::text origin, null::text failure_source, null::timestamptz completed_at,
         1 credits_used, null::numeric provider_cost_usd, '{}'::jsonb metadata;
create function pg_temp.insert_task(changes text) returns void language plpgsql as $$
begin
  execute format($q$
    insert into public.enhancement_tasks (user_id, task_type, provider, status, origin, failure_source,
                                          completed_at, credits_used, provider_cost_usd, metadata)
    select gen_random_uuid(), 'enhance', 'wavespeed', status, origin, failure_source,
           completed_at, credits_used, provider_cost_usd, metadata
      from (select %s from task_row) r $q$, changes);
end $$;

select lives_ok($$ select pg_temp.insert_task('*') $$, 'a pending task passes');
select lives_ok($$ select pg_temp.insert_task('''failed'' status, origin, ''timeout'' failure_source, now() completed_at, credits_used, 0 provider_cost_usd, metadata') $$,
  'a failed task with its time, source and a cost passes');
select throws_ok($$ select pg_temp.insert_task('''done'' status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '23514', 'enhancement_tasks row refused: status must be pending, processing, completed or failed, not ''done''',
  'an unknown status is refused, by name');
select throws_like($$ select pg_temp.insert_task('status, ''import'' origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%origin must be legacy or rpc%', 'an unknown origin is refused');
select throws_like($$ select pg_temp.insert_task('''failed'' status, origin, ''oops'' failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%failure_source must be callback, api_error, timeout or admin%', 'an unknown failure source is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, -1 credits_used, provider_cost_usd, metadata') $$,
  '%credits_used must not be negative%', 'a negative charge is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, credits_used, -0.01 provider_cost_usd, metadata') $$,
  '%provider_cost_usd must not be negative%', 'a negative cost is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, credits_used, provider_cost_usd, ''[1]''::jsonb metadata') $$,
  '%metadata must be a JSON object, not array%', 'metadata that is not an object is refused');
select throws_like($$ select pg_temp.insert_task('''completed'' status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%completed_at must be set exactly when the task is finished%', 'a finished task without completed_at is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%completed_at must be set exactly when the task is finished%', 'an unfinished task with completed_at is refused');
select throws_like($$ select pg_temp.insert_task('''completed'' status, origin, ''callback'' failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%only a failed task has a failure_source%', 'a completed task with a failure source is refused');
select lives_ok($$ select pg_temp.insert_task('''completed'' status, ''legacy'' origin, ''callback'' failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  'legacy tasks are exempt from the lifecycle rules');
select throws_like($$ update enhancement_tasks set status = 'completed' where status = 'pending' and origin = 'rpc' $$,
  '%completed_at must be set%', 'updates are checked too');

select is(
  (select array_agg(conname::text order by conname) from pg_constraint where contype = 'c' and conrelid = 'enhancement_tasks'::regclass),
  array['enhancement_tasks_row_check'], 'one check on enhancement_tasks, this rule''s');

select * from finish();
rollback;
