-- remove_team_member: stops new starts at once; generations in flight complete normally; a
-- removed member's rows keep naming them. (CR008 and refunds: tests/rules/teams.sql.)
begin;
set local search_path to public, tap;
select plan(5);

select ensure_team_account('00000000-0000-0000-0000-0000000017a1', 'pro');
select add_team_member('00000000-0000-0000-0000-0000000017a1', '00000000-0000-0000-0000-0000000017a2');
create temp table t as
  select task_id from start_generation('00000000-0000-0000-0000-0000000017a2', 'image', 'wavespeed', 'm', 7, null, '{}',
                                       '00000000-0000-0000-0000-0000000017a1');
select results_eq($$ select * from remove_team_member('00000000-0000-0000-0000-0000000017a1', '00000000-0000-0000-0000-0000000017a2') $$,
  $$ values (true) $$, 'remove_team_member: removes a member');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-0000000017a2', 'image', 'wavespeed', 'm', 7, null, '{}',
                                            '00000000-0000-0000-0000-0000000017a1') $$,
  'CR008', null, 'remove_team_member: the next start is CR008');
select results_eq($$ select status, outcome from complete_generation((select task_id from t), 0.01) $$,
  $$ values ('completed', 'completed') $$, 'remove_team_member: a generation in flight completes normally');
select results_eq($$ select used, generations from team_member_statement('00000000-0000-0000-0000-0000000017a1', '00000000-0000-0000-0000-0000000017a2') $$,
  $$ values (7::bigint, 1) $$, 'remove_team_member: the rows keep naming the member');
select throws_ok($$ select remove_team_member('00000000-0000-0000-0000-0000000017ff', '00000000-0000-0000-0000-0000000017a2') $$,
  'CR002', null, 'remove_team_member: no such team is CR002');

select * from finish(true);
rollback;
