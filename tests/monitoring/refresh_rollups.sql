-- monitoring.refresh_rollups: the rollups the dashboard reads, refreshed incrementally from the
-- newest day (a full refresh reaches back-dated rows); only the scheduler's role runs it.
begin;
set local search_path to public, tap;
select plan(9);

select ensure_credit_account('00000000-0000-0000-0000-00000000029a', 'pro');
select * from monitoring.refresh_rollups();
select start_generation('00000000-0000-0000-0000-00000000029a', 'enhance', 'wavespeed', 'm29', 3);

create temp table r as select * from monitoring.refresh_rollups();
select results_eq($$ select refreshed, refreshed_from is not null, rows_written > 0 from r $$,
  $$ values (true, true, true) $$, 'a new generation: refreshed from its day, rows written');
select results_eq($$ select generations, credits_charged from monitoring.task_rollup_daily where model = 'm29' $$,
  $$ values (1, 3::bigint) $$, 'the day''s rollup has it');
select results_eq($$ select generations from monitoring.user_rollup_window where user_id = '00000000-0000-0000-0000-00000000029a' order by days $$,
  $$ values (1), (1), (1) $$, 'the windows through today have its user (1, 7 and 30 days), not those through yesterday');
select is((select rollups_status from monitoring.platform_health), 'ok', 'platform_health: the refresh is fresh');

-- A row written with a past timestamp (a bulk load) is found by a full refresh only.
insert into enhancement_tasks (user_id, task_type, provider, model, status, credits_used, created_at, updated_at)
values ('00000000-0000-0000-0000-00000000029a', 'enhance', 'wavespeed', 'm29-old', 'pending', 1, now() - interval '40 days', now() - interval '40 days');
select * from monitoring.refresh_rollups();
select is_empty($$ select 1 from monitoring.task_rollup_daily where model = 'm29-old' $$, 'an incremental refresh does not look 40 days back');
select * from monitoring.refresh_rollups(true);
select isnt_empty($$ select 1 from monitoring.task_rollup_daily where model = 'm29-old' $$, 'a full refresh does');

-- Who may run it: the scheduler's role; not the analyst, not end users.
select ok(has_function_privilege('credits_service', 'monitoring.refresh_rollups(boolean)', 'execute'), 'credits_service runs it');
select ok(not has_function_privilege('credits_analyst', 'monitoring.refresh_rollups(boolean)', 'execute')
      and not has_function_privilege('authenticated', 'monitoring.refresh_rollups(boolean)', 'execute')
      and not has_function_privilege('anon', 'monitoring.refresh_rollups(boolean)', 'execute'), 'the analyst, end users and anon may not');
select ok((select prosecdef and proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc where oid = 'monitoring.refresh_rollups(boolean)'::regprocedure),
  'SECURITY DEFINER with its search_path pinned');

select * from finish(true);
rollback;
