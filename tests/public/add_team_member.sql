-- add_team_member: idempotent, updates the cap, brings a removed member back without resetting
-- the day's spend; refusals. (Members spending: tests/rules/teams.sql.)
begin;
set local search_path to public, tap;
select plan(7);

select ensure_team_account('00000000-0000-0000-0000-0000000016a1', 'pro');
select results_eq($$ select * from add_team_member('00000000-0000-0000-0000-0000000016a1', '00000000-0000-0000-0000-0000000016a2') $$,
  $$ values (true, null::integer, 0::bigint) $$, 'add_team_member: no cap by default');
select results_eq($$ select * from add_team_member('00000000-0000-0000-0000-0000000016a1', '00000000-0000-0000-0000-0000000016a2', 100) $$,
  $$ values (false, 100, 0::bigint) $$, 'add_team_member: again sets the cap');
select start_generation('00000000-0000-0000-0000-0000000016a2', 'image', 'wavespeed', 'm', 60, null, '{}', '00000000-0000-0000-0000-0000000016a1');
select remove_team_member('00000000-0000-0000-0000-0000000016a1', '00000000-0000-0000-0000-0000000016a2');
select results_eq($$ select * from add_team_member('00000000-0000-0000-0000-0000000016a1', '00000000-0000-0000-0000-0000000016a2', 100) $$,
  $$ values (true, 100, 60::bigint) $$, 'add_team_member: a removed member comes back with the day''s spend kept');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-0000000016a2', 'image', 'wavespeed', 'm', 41, null, '{}',
                                            '00000000-0000-0000-0000-0000000016a1') $$,
  'CR007', null, 'add_team_member: so removing and adding never resets a cap');
select throws_ok($$ select add_team_member('00000000-0000-0000-0000-0000000016a1', null) $$, 'CR003', null,
  'add_team_member: a null user is CR003');
select throws_ok($$ select add_team_member('00000000-0000-0000-0000-0000000016a1', '00000000-0000-0000-0000-0000000016a2', 100000001) $$,
  'CR003', null, 'add_team_member: an absurd cap is CR003');
select results_eq($$ select daily_credit_limit from list_team_members('00000000-0000-0000-0000-0000000016a1') $$, $$ values (100) $$,
  'add_team_member: a refusal changed nothing');

select * from finish(true);
rollback;
