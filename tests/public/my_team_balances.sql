-- my_team_balances: the caller's teams with the team's balance, the caller's spend today and cap;
-- nobody else's; no JWT, no rows. (RLS across a team: tests/rules/teams.sql.)
begin;
set local search_path to public, tap;
select plan(3);

select ensure_team_account('00000000-0000-0000-0000-0000000019a1', 'basic');
select ensure_team_account('00000000-0000-0000-0000-0000000019a2', 'pro');
select add_team_member('00000000-0000-0000-0000-0000000019a1', '00000000-0000-0000-0000-0000000019b1', 20);
select add_team_member('00000000-0000-0000-0000-0000000019a2', '00000000-0000-0000-0000-0000000019b1');
select add_team_member('00000000-0000-0000-0000-0000000019a2', '00000000-0000-0000-0000-0000000019b2');
select start_generation('00000000-0000-0000-0000-0000000019b1', 'image', 'wavespeed', 'm', 8, null, '{}', '00000000-0000-0000-0000-0000000019a1');
select start_generation('00000000-0000-0000-0000-0000000019b2', 'image', 'wavespeed', 'm', 9, null, '{}', '00000000-0000-0000-0000-0000000019a2');

select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000019b1", "role": "authenticated"}', true);
set local role authenticated;
select results_eq($$ select * from my_team_balances() $$,
  $$ values ('00000000-0000-0000-0000-0000000019a1'::uuid, 92::bigint, 8::bigint, 20),
            ('00000000-0000-0000-0000-0000000019a2'::uuid, 491::bigint, 0::bigint, null::integer) $$,
  'my_team_balances: each team''s balance, the caller''s own spend today and cap');
select throws_ok($$ select * from list_team_members('00000000-0000-0000-0000-0000000019a2') $$, '42501', null,
  'my_team_balances: an end user cannot list a team''s members');
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select * from my_team_balances() $$, '42501', null, 'my_team_balances: no user in the JWT is 42501');
reset role;

select * from finish(true);
rollback;
