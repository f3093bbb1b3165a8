-- admin_credit_stats: the dashboard's document, live or as of the last rollup refresh; its keys,
-- its refusals (CR003) and who may read it.
begin;
set local search_path to public, tap;
select plan(14);

-- Refusals: CR003, nothing written (a read-only function).
select throws_ok($$ select admin_credit_stats(null, now()) $$, 'CR003', null, 'a null bound is CR003');
select throws_ok($$ select admin_credit_stats('-infinity', now()) $$, 'CR003', null, 'an infinite bound is CR003');
select throws_ok($$ select admin_credit_stats('1969-12-31', '1970-02-01') $$, 'CR003', null, 'a bound before 1970 is CR003');
select throws_ok($$ select admin_credit_stats(now(), now()) $$, 'CR003', null, 'an empty range is CR003');
select throws_ok($$ select admin_credit_stats('2020-01-01', '2023-01-02') $$, 'CR003', null, 'more than 3 years is CR003');
select throws_ok($$ select admin_credit_stats('2026-01-01 12:00+00', '2026-01-02', true) $$, 'CR003',
  'as of the last refresh, p_from and p_to must be UTC midnights (whole days)', 'as of the refresh, a bound off midnight is CR003');

-- The contract's keys, and the document's own.
select ok(admin_credit_stats() ?& array['period', 'totals', 'success_rate', 'providers', 'failures', 'refunds', 'top_users', 'health'],
  'the contract''s keys are there');
select ok(admin_credit_stats() ?& array['daily', 'pricing', 'top_users_by_cost', 'top_users_by_generations', 'optimization_hints', 'data_through'],
  'and the dashboard''s');

-- Live against as of the refresh: a generation after the refresh is seen at once live, and as of
-- the refresh only once the refresh has run.
select ensure_credit_account('00000000-0000-0000-0000-00000000028a', 'pro');
select * from monitoring.refresh_rollups();
select start_generation('00000000-0000-0000-0000-00000000028a', 'enhance', 'wavespeed', 'm28', 2);
select is((admin_credit_stats(current_date, current_date + 1) -> 'totals' ->> 'generations')::int
        - (admin_credit_stats(current_date, current_date + 1, true) -> 'totals' ->> 'generations')::int, 1,
  'live sees the new generation, as of the refresh not yet');
select * from monitoring.refresh_rollups(true);
select is(admin_credit_stats(current_date, current_date + 1, true) -> 'totals' ->> 'generations',
  admin_credit_stats(current_date, current_date + 1) -> 'totals' ->> 'generations', 'after the refresh, the same');

-- Who may read it: the service and the analyst; end users and anon may not.
select ok(has_function_privilege('credits_service', 'admin_credit_stats(timestamptz, timestamptz, boolean)', 'execute')
      and has_function_privilege('credits_analyst', 'admin_credit_stats(timestamptz, timestamptz, boolean)', 'execute'),
  'credits_service and credits_analyst execute it');
set local role authenticated;
select throws_ok($$ select admin_credit_stats() $$, '42501', null, 'an end user may not');
reset role;
set local role anon;
select throws_ok($$ select admin_credit_stats() $$, '42501', null, 'anon may not');
reset role;
select ok((select prosecdef and proconfig @> array['search_path=pg_catalog, pg_temp'] from pg_proc where oid = 'admin_credit_stats(timestamptz, timestamptz, boolean)'::regprocedure),
  'SECURITY DEFINER with its search_path pinned');

select * from finish(true);
rollback;
