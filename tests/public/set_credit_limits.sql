-- set_credit_limits: both of an account's own limits at once; positive its own, 0 none, null the
-- tier's; the result is the limits in effect; refusals write nothing. (The limits' effect on
-- starts: tests/rules/limits.sql.)
begin;
set local search_path to public, tap;
select plan(9);

insert into credit_tiers (tier, monthly_allowance, max_in_flight, daily_credit_limit) values ('metered', 100, 4, 400);
select ensure_credit_account('00000000-0000-0000-0000-0000000014a1', 'metered');
select ensure_team_account('00000000-0000-0000-0000-0000000014a2', 'metered');

select results_eq($$ select * from set_credit_limits('00000000-0000-0000-0000-0000000014a1', 2, 50) $$, $$ values (2, 50) $$,
  'set_credit_limits: positive numbers are the account''s own limits');
select results_eq($$ select max_in_flight_override, daily_credit_limit_override from credits_private.account_limits
                     where user_id = '00000000-0000-0000-0000-0000000014a1' $$, $$ values (2, 50) $$,
  'set_credit_limits: kept as the account''s own');
select results_eq($$ select * from set_credit_limits('00000000-0000-0000-0000-0000000014a1', 0, 0) $$, $$ values (null::integer, null::integer) $$,
  'set_credit_limits: 0 is no limit whatever the tier');
select results_eq($$ select * from set_credit_limits('00000000-0000-0000-0000-0000000014a1', null, null) $$, $$ values (4, 400) $$,
  'set_credit_limits: null is the tier''s');
select results_eq($$ select * from set_credit_limits('00000000-0000-0000-0000-0000000014a2', 10, null) $$, $$ values (10, 400) $$,
  'set_credit_limits: a team has limits too');
select throws_ok($$ select set_credit_limits(null, 1, 1) $$, 'CR003', null, 'set_credit_limits: a null user is CR003');
select throws_ok($$ select set_credit_limits('00000000-0000-0000-0000-0000000014a1', 1000001, null) $$, 'CR003', null,
  'set_credit_limits: more than 1,000,000 in flight is CR003');
select throws_ok($$ select set_credit_limits('00000000-0000-0000-0000-0000000014a1', null, -5) $$, 'CR003', null,
  'set_credit_limits: a negative daily limit is CR003');
select results_eq($$ select max_in_flight, daily_credit_limit from get_credit_balance('00000000-0000-0000-0000-0000000014a1') $$,
  $$ values (4, 400) $$, 'set_credit_limits: a refusal changed nothing');

select * from finish(true);
rollback;
