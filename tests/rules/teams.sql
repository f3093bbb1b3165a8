-- Contract §12, team balances rule by rule: a team is an account with no end user; members spend
-- it through start_generation's p_account_id (CR008 for anyone else); the task is the member's,
-- the ledger rows the team's naming the member; refunds and settlements go back to the team; the
-- team's limits and the member's cap both apply; keys stay the member's; statements and history
-- per member; end users see their teams' balances and nothing else of them.
begin;
set local search_path to public, tap;
select plan(52);

create temp table u (name text primary key, id uuid);
insert into u values
  ('studio', '00000000-0000-0000-0000-0000000013a0'), ('ann', '00000000-0000-0000-0000-0000000013a1'),
  ('bob', '00000000-0000-0000-0000-0000000013a2'), ('eve', '00000000-0000-0000-0000-0000000013a3'),
  ('solo', '00000000-0000-0000-0000-0000000013a4'), ('other', '00000000-0000-0000-0000-0000000013a5');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_user text, p_credits integer, p_team text default 'studio', p_key text default null)
  returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_user), 'image', 'wavespeed', 'nano-banana', p_credits, p_key, '{}',
                                       pg_temp.id(p_team)) $$;
create function pg_temp.detail_of(p_sql text) returns jsonb language plpgsql as $$
declare v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end $$;
create function pg_temp.credits(p_name text) returns bigint language sql as $$
  select credits from user_credits where user_id = pg_temp.id(p_name) $$;
create temp table t (name text primary key, task uuid);

-- 1. A team is an account with its own id and no end user.
select results_eq($$ select created, total_credits, monthly_credits, tier from ensure_team_account(pg_temp.id('studio'), 'pro') $$,
  $$ values (true, 500::bigint, 500::bigint, 'pro') $$, 'ensure_team_account: creates the team with its tier''s allowance');
select results_eq($$ select type, amount from credit_transactions where user_id = pg_temp.id('studio') $$,
  $$ values ('allocation', 500::bigint) $$, 'ensure_team_account: one allocation row, as ensure_credit_account writes');
select results_eq($$ select created, total_credits from ensure_team_account(pg_temp.id('studio'), 'pro') $$,
  $$ values (false, 500::bigint) $$, 'ensure_team_account: idempotent');
select ensure_credit_account(pg_temp.id('solo'), 'basic');
select throws_ok($$ select ensure_team_account(pg_temp.id('solo')) $$, 'CR003', null,
  'ensure_team_account: the id of a personal account is CR003');
select throws_ok($$ select ensure_credit_account(pg_temp.id('studio')) $$, 'CR003', null,
  'ensure_credit_account: the id of a team is CR003');

-- 2. Members: added idempotently with a cap; refusals.
select results_eq($$ select * from add_team_member(pg_temp.id('studio'), pg_temp.id('ann'), 200) $$,
  $$ values (true, 200, 0::bigint) $$, 'add_team_member: adds a member with their cap');
select results_eq($$ select * from add_team_member(pg_temp.id('studio'), pg_temp.id('ann'), 30) $$,
  $$ values (false, 30, 0::bigint) $$, 'add_team_member: idempotent, and updates the cap');
select add_team_member(pg_temp.id('studio'), pg_temp.id('bob'));
select add_team_member(pg_temp.id('studio'), pg_temp.id('solo'), 0);
select results_eq($$ select user_id, daily_credit_limit from list_team_members(pg_temp.id('studio')) $$,
  $$ values (pg_temp.id('ann'), 30), (pg_temp.id('bob'), null::integer), (pg_temp.id('solo'), null::integer) $$,
  'list_team_members: the members and their caps (null or 0: none)');
select throws_ok($$ select ensure_team_account(pg_temp.id('ann')) $$, 'CR003', null,
  'ensure_team_account: the id of a member is CR003');
select throws_ok($$ select add_team_member(pg_temp.id('solo'), pg_temp.id('ann')) $$, 'CR003', null,
  'add_team_member: a personal account is no team (CR003)');
select throws_ok($$ select add_team_member('00000000-0000-0000-0000-0000000013ff', pg_temp.id('ann')) $$, 'CR002', null,
  'add_team_member: no such account is CR002');
select throws_ok($$ select add_team_member(pg_temp.id('studio'), pg_temp.id('studio')) $$, 'CR003', null,
  'add_team_member: a team is no member (CR003)');
select throws_ok($$ select add_team_member(pg_temp.id('studio'), pg_temp.id('eve'), -1) $$, 'CR003', null,
  'add_team_member: a negative cap is CR003');

-- 3. The member generates, the team pays; a member needs no account of their own.
insert into t values ('ann1', pg_temp.start('ann', 10));
select results_eq($$ select user_id, account_id from enhancement_tasks where id = (select task from t where name = 'ann1') $$,
  $$ values (pg_temp.id('ann'), pg_temp.id('studio')) $$, 'start_generation: the task is the member''s, paid by the team');
select results_eq($$ select user_id, member_id, amount from credit_transactions where task_id = (select task from t where name = 'ann1') $$,
  $$ values (pg_temp.id('studio'), pg_temp.id('ann'), -10::bigint) $$, 'start_generation: the ledger row is the team''s and names the member');
select is(pg_temp.credits('studio'), 490::bigint, 'start_generation: the team''s balance paid');
select is_empty($$ select 1 from user_credits where user_id = pg_temp.id('ann') $$, 'start_generation: a member needs no account');
insert into t values ('solo1', pg_temp.start('solo', 10));
select is(pg_temp.credits('solo'), (select credits from user_credits u2 where u2.user_id = pg_temp.id('solo')),
  'start_generation: a member''s own account is untouched by the team''s charge');
select results_eq($$ select credits from user_credits where user_id = pg_temp.id('solo') $$, $$ values (100::bigint) $$,
  'start_generation: the member''s own balance is what their tier gave');
select lives_ok($$ select task_id from start_generation(pg_temp.id('solo'), 'image', 'wavespeed', 'nano-banana', 1, null, '{}', pg_temp.id('solo')) $$,
  'start_generation: p_account_id equal to the user is their own account');
select is(pg_temp.credits('solo'), 99::bigint, 'start_generation: and charges it');

-- 4. CR008 for anyone else, nothing written.
create temp table before_refusal as
  select (select count(*) from enhancement_tasks) as tasks, (select count(*) from credit_transactions) as rows_, pg_temp.credits('studio') as c;
select throws_ok($$ select pg_temp.start('eve', 1) $$, 'CR008', null, 'start_generation: a non-member is CR008');
select throws_ok($$ select pg_temp.start('eve', 1, 'studio', 'eve-key') $$, 'CR008', null, 'start_generation: with a key too');
select throws_ok($$ select pg_temp.start('eve', 1, 'other') $$, 'CR008', null, 'start_generation: no such team is CR008');
select throws_ok($$ select pg_temp.start('eve', 1, 'solo') $$, 'CR008', null, 'start_generation: a personal account is no team (CR008)');
select results_eq($$ select (select count(*) from enhancement_tasks), (select count(*) from credit_transactions), pg_temp.credits('studio') $$,
  $$ select tasks, rows_, c from before_refusal $$, 'start_generation: CR008 wrote nothing');

-- 5. Refunds and settlements go back to the team; the member's day spend goes down with them.
insert into t values ('ann2', pg_temp.start('ann', 20));
select results_eq($$ select spent_today from list_team_members(pg_temp.id('studio')) where user_id = pg_temp.id('ann') $$,
  $$ values (30::bigint) $$, 'member cap: the member''s spend today counts their charges');
select is(pg_temp.detail_of($$ select pg_temp.start('ann', 1) $$),
  jsonb_build_object('limit', 'member_daily_credits', 'allowed', 30, 'current', 30, 'requested', 1,
                     'account_id', pg_temp.id('studio'), 'user_id', pg_temp.id('ann')),
  'member cap: past it is CR007 with limit member_daily_credits, the team as account and the member as user');
select fail_generation((select task from t where name = 'ann1'), 'boom', 'callback');
select results_eq($$ select user_id, member_id, amount from credit_transactions
                     where task_id = (select task from t where name = 'ann1') and type = 'refund' $$,
  $$ values (pg_temp.id('studio'), pg_temp.id('ann'), 10::bigint) $$, 'refund: back to the team, naming the member');
select complete_generation((select task from t where name = 'ann2'), 0.01, null, 5);
select is(pg_temp.credits('studio'), 485::bigint, 'settlement: back to the team (500 - 10 - 10 - 20 + 10 refunded + 15 settled)');
select results_eq($$ select spent_today from list_team_members(pg_temp.id('studio')) where user_id = pg_temp.id('ann') $$,
  $$ values (5::bigint) $$, 'member cap: refunds and settlements lower the member''s spend today');
select lives_ok($$ insert into t values ('ann3', pg_temp.start('ann', 25)) $$, 'member cap: what came back may be spent again');

-- 6. The team's limits count every member's generations; both limits apply.
select set_credit_limits(pg_temp.id('studio'), 3, null);
insert into t values ('bob1', pg_temp.start('bob', 1));
select is(pg_temp.detail_of($$ select pg_temp.start('bob', 1) $$),
  jsonb_build_object('limit', 'in_flight', 'allowed', 3, 'current', 3, 'requested', 1,
                     'account_id', pg_temp.id('studio'), 'user_id', pg_temp.id('bob')),
  'team limits: the team''s in-flight limit counts all its members'' generations');
select results_eq($$ select in_flight from get_credit_balance(pg_temp.id('studio')) $$, $$ values (3::bigint) $$,
  'team limits: the team''s balance shows them in flight');

-- 7. Removal stops new starts at once; generations in flight finish normally.
select results_eq($$ select * from remove_team_member(pg_temp.id('studio'), pg_temp.id('bob')) $$, $$ values (true) $$,
  'remove_team_member: removes');
select results_eq($$ select * from remove_team_member(pg_temp.id('studio'), pg_temp.id('bob')) $$, $$ values (false) $$,
  'remove_team_member: twice is nothing to do');
select throws_ok($$ select pg_temp.start('bob', 1) $$, 'CR008', null, 'remove_team_member: the next start is CR008');
select results_eq($$ select status, refunded_credits from fail_generation((select task from t where name = 'bob1'), 'boom', 'callback') $$,
  $$ values ('failed', 1) $$, 'remove_team_member: a generation in flight still fails and is refunded');
select results_eq($$ select user_id from list_team_members(pg_temp.id('studio')) $$,
  $$ values (pg_temp.id('ann')), (pg_temp.id('solo')) $$, 'list_team_members: a removed member is not listed');
select results_eq($$ select user_id, removed_at is not null from list_team_members(pg_temp.id('studio'), true) where user_id = pg_temp.id('bob') $$,
  $$ values (pg_temp.id('bob'), true) $$, 'list_team_members: unless asked');

-- 8. Keys stay the member's.
select add_team_member(pg_temp.id('studio'), pg_temp.id('bob'));
insert into t values ('bobk', pg_temp.start('bob', 2, 'studio', 'bob-key'));
select throws_ok($$ select task_id from start_generation(pg_temp.id('bob'), 'image', 'wavespeed', 'nano-banana', 2, 'bob-key') $$,
  'CR006', null, 'idempotency: the same key with another account is CR006');
select remove_team_member(pg_temp.id('studio'), pg_temp.id('bob'));
select is(pg_temp.start('bob', 2, 'studio', 'bob-key'), (select task from t where name = 'bobk'),
  'idempotency: a replay returns the first result though the member was removed since');

-- 9. Per member: history and statements.
select results_eq($$ select count(*), count(*) filter (where member_id = pg_temp.id('ann'))
                      from credit_history(pg_temp.id('studio'), null, 100, pg_temp.id('ann')) $$,
  $$ values (5::bigint, 5::bigint) $$, 'credit_history: p_member_id reads the team''s rows naming the member');
select results_eq($$ select used, refunded, settled, generations from team_member_statement(pg_temp.id('studio'), pg_temp.id('ann')) $$,
  $$ values (40::bigint, 10::bigint, 0::bigint, 3) $$, 'team_member_statement: what the member''s generations cost the team');
select results_eq($$ select sum(s.used)::bigint from u, team_member_statement(pg_temp.id('studio'), u.id) s $$,
  $$ select used from credit_statement(pg_temp.id('studio')) $$, 'team_member_statement: the members'' sum to the team''s used');

-- 10. End users: their teams' balances and their own generations, nothing else of a team.
select set_config('request.jwt.claims', json_build_object('sub', pg_temp.id('ann'), 'role', 'authenticated')::text, true);
set local role authenticated;
select results_eq($$ select team_id, balance, spent_today, daily_credit_limit from my_team_balances() $$,
  $$ values ('00000000-0000-0000-0000-0000000013a0'::uuid, 458::bigint, 30::bigint, 30) $$,
  'my_team_balances: the team''s balance, the caller''s spend today and cap');
select results_eq($$ select count(*), count(*) filter (where account_id = '00000000-0000-0000-0000-0000000013a0') from my_generations $$,
  $$ values (3::bigint, 3::bigint) $$, 'my_generations: the member''s own generations, paid by the team');
select is_empty($$ select 1 from credit_transactions $$, 'RLS: a member reads none of the team''s ledger rows');
select throws_ok($$ select * from credit_history('00000000-0000-0000-0000-0000000013a0') $$, '42501', null,
  'RLS: nor the team''s history');
select set_config('request.jwt.claims', json_build_object('sub', '00000000-0000-0000-0000-0000000013a2', 'role', 'authenticated')::text, true);
select is_empty($$ select 1 from my_generations where user_id <> '00000000-0000-0000-0000-0000000013a2' $$,
  'RLS: another member''s generations stay invisible');
select is_empty($$ select * from my_team_balances() $$, 'my_team_balances: a removed member lists no team');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'teams: the ledger is sound');

select * from finish(true);
rollback;
