-- set_auto_top_up (contract §13): an account's automatic top-up (threshold, target, monthly
-- limit; all null: off). Its result is the settings with the credits requested this UTC month
-- and the open request; turning off or changing the settings keeps both; every refusal has its
-- code and writes nothing; only the service may call it.
begin;
set local search_path to public, tap;
select plan(43);

-- The test runs in one transaction, so now() stands still: a request "ages" by moving its open_until back.
create temp table u (name text primary key, id uuid);
insert into u values
  ('cols', '00000000-0000-0000-0000-000000001d01'), ('nolimit', '00000000-0000-0000-0000-000000001d02'),
  ('fresh', '00000000-0000-0000-0000-000000001d03'), ('role', '00000000-0000-0000-0000-000000001d04');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
-- The account's top-up requests, oldest first.
create function pg_temp.requests(p_name text) returns table (id bigint, balance bigint, threshold integer, credits integer)
  language sql as $$ select id, balance, threshold, credits from credits_private.credit_events
                      where user_id = pg_temp.id(p_name) and kind = 'top_up_requested' order by id $$;
-- What a call may write: the threshold in effect and the settings row.
create function pg_temp.state(p_name text) returns text language sql as $$
  select format('%s | %s', (select auto_top_up_threshold from user_credits where user_id = pg_temp.id(p_name)),
                (select a::text from credits_private.auto_top_ups a where a.user_id = pg_temp.id(p_name))) $$;

-- 1. The result: the settings, the credits requested this month, the open request.
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), 20, 80, 200) $$,
  $$ values (20, 80, 200, 0::bigint, null::bigint) $$, 'result: the settings, nothing requested yet, no request open');
select results_eq($$ select auto_top_up_threshold from user_credits where user_id = pg_temp.id('cols') $$, $$ values (20) $$,
  'the threshold is in effect on the account at once');
select results_eq($$ select threshold, target, monthly_limit, requested_credits, open_event_id from credits_private.auto_top_ups
                     where user_id = pg_temp.id('cols') $$,
  $$ values (20, 80, 200, 0::bigint, null::bigint) $$, 'the settings are stored');
select pg_temp.start('cols', 85);  -- 100 -> 15: crosses 20, asks for 65
select results_eq($$ select balance, threshold, credits from pg_temp.requests('cols') $$, $$ values (15::bigint, 20, 65) $$,
  'a charge crossing the threshold asks for the credits back to the target');
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), 20, 80, 200) $$,
  $$ values (20, 80, 200, 65::bigint, (select max(id) from pg_temp.requests('cols'))) $$,
  'result: requested_this_month counts the request, open_event_id names it');

-- 2. Changing the settings keeps the month's count and the open request.
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), 30, 90, 500) $$,
  $$ values (30, 90, 500, 65::bigint, (select max(id) from pg_temp.requests('cols'))) $$,
  'changed settings: the new ones, the month''s count and the open request kept');
select results_eq($$ select auto_top_up_threshold from user_credits where user_id = pg_temp.id('cols') $$, $$ values (30) $$,
  'changed settings: the new threshold in effect at once');
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), 30, 90, null) $$,
  $$ values (30, 90, null::integer, 65::bigint, (select max(id) from pg_temp.requests('cols'))) $$,
  'a null monthly limit: no limit');

-- 3. All null turns top-ups off, keeping the month's count and the open request.
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), null, null, null) $$,
  $$ values (null::integer, null::integer, null::integer, 65::bigint, (select max(id) from pg_temp.requests('cols'))) $$,
  'off: all three null, the month''s count and the open request kept');
select results_eq($$ select auto_top_up_threshold from user_credits where user_id = pg_temp.id('cols') $$, $$ values (null::integer) $$,
  'off: no threshold in effect');
select grant_credits(pg_temp.id('cols'), 65, 'automatic top-up', (select 'auto-top-up:' || max(id) from pg_temp.requests('cols')));  -- 15 -> 80
select pg_temp.start('cols', 75);  -- 80 -> 5: would cross any threshold
select is((select count(*)::int from pg_temp.requests('cols')), 1, 'off: a charge crossing the old threshold asks for nothing');
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('cols'), 20, 80, 200) $$,
  $$ values (20, 80, 200, 65::bigint, null::bigint) $$, 'on again: the month''s count is kept (off and on does not reset the limit), the granted request no longer open');
select pg_temp.start('cols', 1);  -- 5 -> 4
select is((select count(*)::int from pg_temp.requests('cols')), 1,
  'on again: a balance already below the new threshold asks for nothing until a charge crosses it');

-- 4. A null monthly limit: the request goes all the way to the target, however large.
select results_eq($$ select threshold, target, monthly_limit, requested_this_month from set_auto_top_up(pg_temp.id('nolimit'), 50, 100000000, null) $$,
  $$ values (50, 100000000, null::integer, 0::bigint) $$, 'no limit: the settings, the largest target');
select pg_temp.start('nolimit', 60);  -- 100 -> 40
select results_eq($$ select balance, credits from pg_temp.requests('nolimit') $$, $$ values (40::bigint, 99999960) $$,
  'no limit: the request is for target - balance');
-- A request past its 24 hours is no longer open: the result says so.
update credits_private.auto_top_ups set open_until = now() - interval '1 second' where user_id = pg_temp.id('nolimit');
select results_eq($$ select requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('nolimit'), 50, 100000000, null) $$,
  $$ values (99999960::bigint, null::bigint) $$, 'a request 24 hours old is no longer open_event_id; it still counts this month');

-- 5. The bounds accepted.
select results_eq($$ select threshold, target, monthly_limit from set_auto_top_up(pg_temp.id('fresh'), 1, 2, 1) $$,
  $$ values (1, 2, 1) $$, 'bounds: threshold 1, target 2, limit 1 are accepted');
select results_eq($$ select threshold, target, monthly_limit from set_auto_top_up(pg_temp.id('fresh'), 99999999, 100000000, 1000000000) $$,
  $$ values (99999999, 100000000, 1000000000) $$, 'bounds: target 100,000,000 and limit 1,000,000,000 are accepted');
select results_eq($$ select threshold, target, monthly_limit, requested_this_month, open_event_id from set_auto_top_up(pg_temp.id('fresh'), null, null, null) $$,
  $$ values (null::integer, null::integer, null::integer, 0::bigint, null::bigint) $$, 'off: all null is accepted');

-- 6. Refusals: each with its code, nothing written.
select set_auto_top_up(pg_temp.id('cols'), 20, 80, 200);
create temp table before_refusals as select pg_temp.state('cols') as cols, pg_temp.state('role') as role;
select throws_ok($$ select * from set_auto_top_up(null, 20, 80, 200) $$, 'CR003', null, 'a null user is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 0, 80, 200) $$, 'CR003', null, 'a threshold of 0 is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), -5, 80, 200) $$, 'CR003', null, 'a negative threshold is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 100000001, 100000002, 200) $$, 'CR003', null,
  'a threshold over 100,000,000 is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 20, 200) $$, 'CR003', null, 'a target equal to the threshold is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 10, 200) $$, 'CR003', null, 'a target below the threshold is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 100000001, 200) $$, 'CR003', null, 'a target over 100,000,000 is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 100000000, 100000000, null) $$, 'CR003', null,
  'a threshold of 100,000,000 leaves no target above it: CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 80, 0) $$, 'CR003', null, 'a monthly limit of 0 is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 80, -1) $$, 'CR003', null, 'a negative monthly limit is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, 80, 1000000001) $$, 'CR003', null,
  'a monthly limit over 1,000,000,000 is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, null, null) $$, 'CR003', null, 'a threshold without a target is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), 20, null, 200) $$, 'CR003', null,
  'a threshold and a limit without a target is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), null, 80, null) $$, 'CR003', null, 'a target without a threshold is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('cols'), null, null, 200) $$, 'CR003', null, 'a monthly limit alone is CR003');
select throws_ok($$ select * from set_auto_top_up(pg_temp.id('role'), 20, null, null) $$, 'CR003', null,
  'a refused first call (an account without settings) is CR003');
select throws_ok($$ select * from set_auto_top_up('00000000-0000-0000-0000-000000001dff', 20, 80, 200) $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select * from set_auto_top_up('00000000-0000-0000-0000-000000001dff', null, null, null) $$, 'CR002', null,
  'no account is CR002, turning off too');
select results_eq($$ select pg_temp.state('cols'), pg_temp.state('role') $$, $$ select cols, role from before_refusals $$,
  'the refusals wrote nothing: the settings and the threshold in effect as they were');
select is_empty($$ select 1 from credits_private.auto_top_ups where user_id in (pg_temp.id('role'), '00000000-0000-0000-0000-000000001dff') $$,
  'the refusals created no settings row');

-- 7. Who may call it: the service, not end users.
set local role authenticated;
select throws_ok($$ select * from set_auto_top_up('00000000-0000-0000-0000-000000001d04', 20, 80, 200) $$, '42501', null,
  'authenticated may not set an automatic top-up');
reset role;
set local role anon;
select throws_ok($$ select * from set_auto_top_up('00000000-0000-0000-0000-000000001d04', 20, 80, 200) $$, '42501', null,
  'anon may not set an automatic top-up');
reset role;
set local role credits_service;
select results_eq($$ select threshold, target, monthly_limit, requested_this_month from set_auto_top_up('00000000-0000-0000-0000-000000001d04', 20, 80, 200) $$,
  $$ values (20, 80, 200, 0::bigint) $$, 'credits_service may');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
