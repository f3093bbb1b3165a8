-- ensure_team_account: a team's account as ensure_credit_account creates one, idempotent; the id
-- of a personal account or of a member is CR003. (Teams end to end: tests/rules/teams.sql.)
begin;
set local search_path to public, tap;
select plan(8);

select results_eq($$ select created, total_credits, tier, in_flight, spent_today from ensure_team_account('00000000-0000-0000-0000-0000000015a1') $$,
  $$ values (true, 10::bigint, 'free', 0::bigint, 0::bigint) $$, 'ensure_team_account: the free tier by default');
select is((select count(*) from credits_private.teams where team_id = '00000000-0000-0000-0000-0000000015a1'), 1::bigint,
  'ensure_team_account: listed as a team');
select results_eq($$ select created, tier from ensure_team_account('00000000-0000-0000-0000-0000000015a1', 'pro') $$,
  $$ values (false, 'free') $$, 'ensure_team_account: an existing team is returned unchanged, its tier too');
insert into credit_tiers (tier, monthly_allowance, max_in_flight, daily_credit_limit) values ('studio', 0, 20, 2000);
select results_eq($$ select created, total_credits, max_in_flight, daily_credit_limit from ensure_team_account('00000000-0000-0000-0000-0000000015a5', 'studio') $$,
  $$ values (true, 0::bigint, 20, 2000) $$, 'ensure_team_account: the tier''s limits, and no allocation row for no allowance');
select add_team_member('00000000-0000-0000-0000-0000000015a1', '00000000-0000-0000-0000-0000000015a2');
select throws_ok($$ select ensure_team_account('00000000-0000-0000-0000-0000000015a2') $$, 'CR003', null,
  'ensure_team_account: a member''s id is CR003');
select ensure_credit_account('00000000-0000-0000-0000-0000000015a3');
select throws_ok($$ select ensure_team_account('00000000-0000-0000-0000-0000000015a3') $$, 'CR003', null,
  'ensure_team_account: a personal account''s id is CR003');
select throws_ok($$ select ensure_team_account('00000000-0000-0000-0000-0000000015a4', 'gold') $$, 'CR003', null,
  'ensure_team_account: an unknown tier is CR003');
select throws_ok($$ select ensure_team_account(null) $$, 'CR003', null, 'ensure_team_account: a null id is CR003');

select * from finish(true);
rollback;
