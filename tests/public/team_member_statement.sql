-- team_member_statement: one member's share of a team's month; zeros for none; refusals.
begin;
set local search_path to public, tap;
select plan(4);

select ensure_team_account('00000000-0000-0000-0000-0000000020a1', 'pro');
select add_team_member('00000000-0000-0000-0000-0000000020a1', '00000000-0000-0000-0000-0000000020b1');
create temp table t as
  select g.task_id from generate_series(10, 12) n, start_generation('00000000-0000-0000-0000-0000000020b1', 'image', 'wavespeed', 'm', n, null, '{}',
                                       '00000000-0000-0000-0000-0000000020a1') g;
select fail_generation((select task_id from t order by task_id limit 1), 'boom', 'callback');
select results_eq($$ select team_id, user_id, used, generations, transactions
                      from team_member_statement('00000000-0000-0000-0000-0000000020a1', '00000000-0000-0000-0000-0000000020b1') $$,
  $$ values ('00000000-0000-0000-0000-0000000020a1'::uuid, '00000000-0000-0000-0000-0000000020b1'::uuid, 33::bigint, 3, 4) $$,
  'team_member_statement: the member''s charges, rows and generations');
select results_eq($$ select used, refunded, settled, generations, transactions
                      from team_member_statement('00000000-0000-0000-0000-0000000020a1', '00000000-0000-0000-0000-0000000020b2') $$,
  $$ values (0::bigint, 0::bigint, 0::bigint, 0, 0) $$, 'team_member_statement: zeros for a user without rows');
select throws_ok($$ select team_member_statement('00000000-0000-0000-0000-0000000020a1', null) $$, 'CR003', null,
  'team_member_statement: a null member is CR003');
select throws_ok($$ select team_member_statement('00000000-0000-0000-0000-0000000020a1', '00000000-0000-0000-0000-0000000020b1', '2026-12-15') $$,
  'CR003', null, 'team_member_statement: a period not starting a month is CR003');

select * from finish(true);
rollback;
