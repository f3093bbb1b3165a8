-- claim_generations_to_reconcile: which tasks a reconciliation asks its provider about (submitted
-- to it, unchanged for a while, oldest first), and the lease that keeps a second reconciliation
-- from asking about the same ones; a claim changes no task, a refused one leases nothing.
begin;
set local search_path to public, tap;
select plan(21);

-- One task of each kind, as a reconciliation finds them. The test runs in one transaction, so
-- now() stands still: a task is "old" by moving its updated_at back, a lease "passes" likewise.
select ensure_credit_account('00000000-0000-0000-0000-0000000000b7', 'pro');
create temp table t (name text primary key, id uuid);
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from t where name = p_name $$;
create function pg_temp.task(p_name text, p_provider text, p_job text, p_age interval) returns void language plpgsql as $$
declare
  v_task uuid := (select task_id from start_generation('00000000-0000-0000-0000-0000000000b7', 'enhance', p_provider, 'm', 1));
begin
  insert into t values (p_name, v_task);
  if p_job is not null then
    perform mark_generation_submitted(v_task, p_job);
  end if;
  update enhancement_tasks set updated_at = now() - p_age where id = v_task;
end $$;
create function pg_temp.end_leases() returns void language sql as $$
  update credits_private.reconcile_leases set leased_until = now() - interval '1 second' $$;

select pg_temp.task('oldest', 'wavespeed', 'job-1', '10 minutes');
select pg_temp.task('older', 'wavespeed', 'job-2', '5 minutes');
select pg_temp.task('fresh', 'wavespeed', 'job-3', '30 seconds');       -- not unchanged for long enough
select pg_temp.task('unsubmitted', 'wavespeed', null, '10 minutes');    -- pending: no job to ask about
select pg_temp.task('other provider', 'nanobanana', 'job-1', '10 minutes');
select pg_temp.task('finished', 'wavespeed', 'job-4', '10 minutes');
select complete_generation(pg_temp.id('finished'));
update enhancement_tasks set updated_at = now() - interval '10 minutes' where id = pg_temp.id('finished');
create temp table tasks_before as select id, status, updated_at from enhancement_tasks;

-- The claim: the provider's submitted tasks unchanged for longer than p_older_than, oldest first.
select results_eq($$ select task_id, external_task_id, in_flight_seconds from claim_generations_to_reconcile('wavespeed') $$,
  $$ values (pg_temp.id('oldest'), 'job-1', 600::float8), (pg_temp.id('older'), 'job-2', 300::float8) $$,
  'the provider''s processing tasks unchanged for over 2 minutes, oldest first, with their job ids and time in flight');
select results_eq($$ select task_id, leased_until = now() + interval '2 minutes' from credits_private.reconcile_leases order by task_id $$,
  $$ select id, true from t where name in ('oldest', 'older') order by id $$, 'each is leased for p_lease, 2 minutes by default');
select is_empty($$ select * from claim_generations_to_reconcile('wavespeed', p_lease => '1 second') $$,
  'a second reconciliation gets none of the leased tasks, whatever it asks for');
select set_eq($$ select id, status, updated_at from enhancement_tasks $$, $$ select * from tasks_before $$, 'a claim changes no task');

-- Once the leases pass, the tasks are handed out again; p_older_than, p_limit and p_provider choose.
select pg_temp.end_leases();
select results_eq($$ select task_id from claim_generations_to_reconcile('wavespeed', '7 minutes') $$,
  $$ values (pg_temp.id('oldest')) $$, 'p_older_than: only what is unchanged for longer');
select pg_temp.end_leases();
select results_eq($$ select task_id from claim_generations_to_reconcile('wavespeed', p_limit => 1) $$,
  $$ values (pg_temp.id('oldest')) $$, 'p_limit: the oldest first');
select results_eq($$ select task_id from claim_generations_to_reconcile('wavespeed', p_limit => 1) $$,
  $$ values (pg_temp.id('older')) $$, 'the next claim the next task, the first being leased');
select results_eq($$ select task_id, external_task_id from claim_generations_to_reconcile('nanobanana') $$,
  $$ values (pg_temp.id('other provider'), 'job-1') $$, 'another provider''s tasks are its own (job ids are per provider)');
select results_eq($$ select task_id from claim_generations_to_reconcile('wavespeed', '10 seconds') $$,
  $$ values (pg_temp.id('fresh')) $$, 'a shorter p_older_than reaches the fresh task');

-- Tasks created before the sweeper's low-water mark are not read (the sweeper's horizon).
select pg_temp.end_leases();
update credits_private.sweeper_state set since = now() + interval '1 second' where name = 'sweeper';
select is_empty($$ select * from claim_generations_to_reconcile('wavespeed', '1 second') $$,
  'tasks created before the sweeper''s low-water mark are not read');
update credits_private.sweeper_state set since = '-infinity' where name = 'sweeper';

-- Refusals: CR003, nothing leased.
create temp table leases_before as select * from credits_private.reconcile_leases;
select throws_ok($$ select * from claim_generations_to_reconcile(' ') $$, 'CR003', null, 'a blank provider is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile(null) $$, 'CR003', null, 'a null provider is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '0 seconds') $$, 'CR003', null, 'a p_older_than under a second is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '11 years') $$, 'CR003', null, 'a p_older_than over 10 years is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '2 minutes', 0) $$, 'CR003', 'p_limit must be between 1 and 10000',
  'p_limit 0 is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '2 minutes', 10001) $$, 'CR003', null, 'p_limit over 10000 is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '2 minutes', 10, '0 seconds') $$, 'CR003', null, 'a lease under a second is CR003');
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed', '2 minutes', 10, '2 days') $$, 'CR003', null, 'a lease over a day is CR003');
select set_eq($$ select * from credits_private.reconcile_leases $$, $$ select * from leases_before $$, 'a refused claim leases nothing');

-- Who may claim: the service; not end users.
select ok(has_function_privilege('credits_service', 'claim_generations_to_reconcile(text, interval, integer, interval)', 'execute'),
  'credits_service claims');
set local role authenticated;
select throws_ok($$ select * from claim_generations_to_reconcile('wavespeed') $$, '42501', null, 'end users may not');
reset role;

select * from finish(true);
rollback;
