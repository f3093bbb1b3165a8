-- list_team_members: members with their cap, spend today and this month, generations in flight.
begin;
set local search_path to public, tap;
select plan(4);

select ensure_team_account('00000000-0000-0000-0000-0000000018a1', 'pro');
select add_team_member('00000000-0000-0000-0000-0000000018a1', '00000000-0000-0000-0000-0000000018a2', 50);
select add_team_member('00000000-0000-0000-0000-0000000018a1', '00000000-0000-0000-0000-0000000018a3');
create temp table t as
  select g.task_id from generate_series(4, 6) n, start_generation('00000000-0000-0000-0000-0000000018a2', 'image', 'wavespeed', 'm', n, null, '{}',
                                       '00000000-0000-0000-0000-0000000018a1') g;
select fail_generation((select task_id from t limit 1), 'boom', 'callback');
select results_eq($$ select user_id, daily_credit_limit, spent_today, spent_this_month, in_flight from list_team_members('00000000-0000-0000-0000-0000000018a1') $$,
  $$ values ('00000000-0000-0000-0000-0000000018a2'::uuid, 50, 11::bigint, 11::bigint, 2::bigint),
            ('00000000-0000-0000-0000-0000000018a3'::uuid, null::integer, 0::bigint, 0::bigint, 0::bigint) $$,
  'list_team_members: each member''s cap, spend (less refunds) and generations in flight');
-- last month's generation, refunded this month: this month's spend is not negative, nor lowered
create temp table old as
  select g.task_id from start_generation('00000000-0000-0000-0000-0000000018a3', 'image', 'wavespeed', 'm', 9, null, '{}',
                                         '00000000-0000-0000-0000-0000000018a1') g;
update credit_transactions set created_at = created_at - interval '40 days' where task_id = (select task_id from old);
update enhancement_tasks set created_at = created_at - interval '40 days' where id = (select task_id from old);
select fail_generation((select task_id from old), 'late', 'callback');
select results_eq($$ select spent_this_month, in_flight from list_team_members('00000000-0000-0000-0000-0000000018a1')
                     where user_id = '00000000-0000-0000-0000-0000000018a3' $$,
  $$ values (0::bigint, 0::bigint) $$, 'list_team_members: a refund this month of last month''s charge leaves this month at 0');
select throws_ok($$ select * from list_team_members('00000000-0000-0000-0000-0000000018ff') $$, 'CR002', null,
  'list_team_members: no such team is CR002');
select throws_ok($$ select * from list_team_members(null) $$, 'CR003', null, 'list_team_members: a null team is CR003');

select * from finish(true);
rollback;
