-- my_team_balances: the caller's teams with the team's balance, the caller's spend today and cap,
-- and what the team owes; nobody else's; no JWT, no rows. (RLS across a team: tests/rules/teams.sql.)
begin;
set local search_path to public, tap;
select plan(4);

select ensure_team_account('00000000-0000-0000-0000-0000000019a1', 'basic');
select ensure_team_account('00000000-0000-0000-0000-0000000019a2', 'pro');
select add_team_member('00000000-0000-0000-0000-0000000019a1', '00000000-0000-0000-0000-0000000019b1', 20);
select add_team_member('00000000-0000-0000-0000-0000000019a2', '00000000-0000-0000-0000-0000000019b1');
select add_team_member('00000000-0000-0000-0000-0000000019a2', '00000000-0000-0000-0000-0000000019b2');
select start_generation('00000000-0000-0000-0000-0000000019b1', 'image', 'wavespeed', 'm', 8, null, '{}', '00000000-0000-0000-0000-0000000019a1');
select start_generation('00000000-0000-0000-0000-0000000019b2', 'image', 'wavespeed', 'm', 9, null, '{}', '00000000-0000-0000-0000-0000000019a2');
-- a third team, charged back beyond what it held: it owes 30 (contract §13)
select ensure_team_account('00000000-0000-0000-0000-0000000019a3', 'basic');
select add_team_member('00000000-0000-0000-0000-0000000019a3', '00000000-0000-0000-0000-0000000019b1');
select revoke_credits('00000000-0000-0000-0000-0000000019a3', 130, 'chargeback', 'dp_1');

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000019b1", "role": "authenticated"}', true);
set local role authenticated;
select results_eq($$ select * from my_team_balances() $$,
  $$ values ('00000000-0000-0000-0000-0000000019a1'::uuid, 92::bigint, 8::bigint, 20, 0::bigint),
            ('00000000-0000-0000-0000-0000000019a2'::uuid, 491::bigint, 0::bigint, null::integer, 0::bigint),
            ('00000000-0000-0000-0000-0000000019a3'::uuid, 0::bigint, 0::bigint, null::integer, 30::bigint) $$,
  'my_team_balances: each team''s balance, the caller''s own spend today and cap, what the team owes');
select throws_ok($$ select start_generation('00000000-0000-0000-0000-0000000019b1', 'image', 'wavespeed', 'm', 1, null, '{}',
                                            '00000000-0000-0000-0000-0000000019a3') $$, '42501', null,
  'my_team_balances: an end user cannot start on the team in debt either (the service does, and gets CR001)');
select throws_ok($$ select * from list_team_members('00000000-0000-0000-0000-0000000019a2') $$, '42501', null,
  'my_team_balances: an end user cannot list a team''s members');
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select * from my_team_balances() $$, '42501', null, 'my_team_balances: no user in the JWT is 42501');
reset role;

select * from finish(true);
rollback;
