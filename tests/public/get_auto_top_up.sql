-- get_auto_top_up (contract §13): an account's automatic top-up as set_auto_top_up left it, the
-- credits requested this UTC month and the open request; nothing for an account never set; it
-- writes nothing; CR002 without an account, CR003 for a null user; only the service may call it.
begin;
set local search_path to public, tap;
select plan(9);

select ensure_credit_account('00000000-0000-0000-0000-000000001f01', 'basic');  -- 100 monthly credits
select ensure_credit_account('00000000-0000-0000-0000-000000001f02', 'basic');

select results_eq($$ select * from get_auto_top_up('00000000-0000-0000-0000-000000001f02') $$,
  $$ values (null::integer, null::integer, null::integer, 0::bigint, null::bigint) $$, 'never set: off, nothing requested');

select set_auto_top_up('00000000-0000-0000-0000-000000001f01', 50, 200, 500);
select start_generation('00000000-0000-0000-0000-000000001f01', 'image', 'wavespeed', 'm', 60);  -- 40: asks for 160
create temp table request as
  select id from credits_private.credit_events where user_id = '00000000-0000-0000-0000-000000001f01' and kind = 'top_up_requested';
select results_eq($$ select * from get_auto_top_up('00000000-0000-0000-0000-000000001f01') $$,
  $$ values (50, 200, 500, 160::bigint, (select id from request)) $$, 'the settings, the month''s count and the open request');
select results_eq($$ select * from get_auto_top_up('00000000-0000-0000-0000-000000001f01') $$,
  $$ select * from set_auto_top_up('00000000-0000-0000-0000-000000001f01', 50, 200, 500) $$,
  'the same as set_auto_top_up returns for the same settings');

-- 24 hours later the request is no longer open; next month the count starts again.
update credits_private.auto_top_ups set open_until = now() - interval '1 second', month = month - 1
 where user_id = '00000000-0000-0000-0000-000000001f01';
select results_eq($$ select requested_this_month, open_event_id from get_auto_top_up('00000000-0000-0000-0000-000000001f01') $$,
  $$ values (0::bigint, null::bigint) $$, 'a request 24 hours old is not open; another month''s count is not this month''s');

select set_auto_top_up('00000000-0000-0000-0000-000000001f01', null, null, null);
select results_eq($$ select threshold, target, monthly_limit from get_auto_top_up('00000000-0000-0000-0000-000000001f01') $$,
  $$ values (null::integer, null::integer, null::integer) $$, 'turned off: all three null');

-- It writes nothing: the settings row is as it was.
create temp table before_read as select * from credits_private.auto_top_ups;
select get_auto_top_up('00000000-0000-0000-0000-000000001f01');
select set_eq($$ select * from credits_private.auto_top_ups $$, $$ select * from before_read $$, 'a read writes nothing');

select throws_ok($$ select * from get_auto_top_up('00000000-0000-0000-0000-000000001fff') $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select * from get_auto_top_up(null) $$, 'CR003', null, 'a null user is CR003');

set local role authenticated;
select throws_ok($$ select * from get_auto_top_up('00000000-0000-0000-0000-000000001f01') $$, '42501', null,
  'end users may not call it');
reset role;

select * from finish(true);
rollback;
