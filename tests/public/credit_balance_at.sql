-- credit_balance_at (contract §13, "Reading"): an account's balance, buckets and debt as the
-- ledger had them at an instant; an instant exactly at a row's time includes it; CR003 before
-- the account's first bucketed row and for a null or infinite instant; CR002 no account.
begin;
set local search_path to public, tap;
select plan(18);

-- The test runs in one transaction, so now() stands still: each step's rows are moved to their own
-- past instant (5, 4, 3, 2 and 1 days ago), so every instant between them has known figures.
create temp table u (name text primary key, id uuid);
insert into u values ('hist', '00000000-0000-0000-0000-0000000029c1');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.move(p_ago interval) returns void language sql as $$
  update credit_transactions set created_at = now() - p_ago where user_id = pg_temp.id('hist') and created_at = now() $$;
create function pg_temp.at(p_at timestamptz) returns table (total bigint, monthly bigint, purchased bigint, promotional bigint, debt bigint)
  language sql as $$ select * from credit_balance_at(pg_temp.id('hist'), p_at) $$;
grant select on u to public;

select ensure_credit_account(pg_temp.id('hist'), 'basic');                          -- allocation: 100 monthly
select pg_temp.move('5 days');
select grant_credits(pg_temp.id('hist'), 50, 'pack', 'cb-1');                         -- a purchase: 50
select pg_temp.move('4 days');
select start_generation(pg_temp.id('hist'), 'image', 'wavespeed', 'm', 30);           -- a charge of 30
select pg_temp.move('3 days');
select grant_promotional_credits(pg_temp.id('hist'), 40, '30 days', 'promo', 'cb-2');  -- a promotional grant of 40
select pg_temp.move('2 days');
select revoke_credits(pg_temp.id('hist'), 200, 'chargeback', 'cb-3');                  -- 160 held: 40 becomes debt
select pg_temp.move('1 day');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('hist') and created_at = now()), 0,
  'setup: every row moved to its past instant');

select results_eq($$ select * from pg_temp.at(now() - interval '4 days 12 hours') $$,
  $$ values (100::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$, 'after the allocation: 100 monthly');
select results_eq($$ select * from pg_temp.at(now() - interval '3 days 12 hours') $$,
  $$ values (150::bigint, 100::bigint, 50::bigint, 0::bigint, 0::bigint) $$, 'after the purchase: 50 purchased too');
select results_eq($$ select * from pg_temp.at(now() - interval '2 days 12 hours') $$,
  $$ values (120::bigint, 70::bigint, 50::bigint, 0::bigint, 0::bigint) $$, 'after the charge: 30 fewer monthly');
select results_eq($$ select * from pg_temp.at(now() - interval '1 day 12 hours') $$,
  $$ values (160::bigint, 70::bigint, 50::bigint, 40::bigint, 0::bigint) $$, 'after the promotional grant: 40 promotional');
select results_eq($$ select * from pg_temp.at(now() - interval '12 hours') $$,
  $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 40::bigint) $$, 'after the revocation beyond the balance: nothing, 40 owed');
select results_eq($$ select * from pg_temp.at(now()) $$,
  $$ select total_credits, monthly_credits, purchased_credits, promotional_credits, debt_credits from get_credit_balance(pg_temp.id('hist')) $$,
  'at now(): get_credit_balance''s figures');

-- An instant exactly at a row's time includes it; a microsecond earlier does not.
select results_eq($$ select * from pg_temp.at(now() - interval '3 days') $$,
  $$ values (120::bigint, 70::bigint, 50::bigint, 0::bigint, 0::bigint) $$, 'exactly at the charge''s time: the charge is in');
select results_eq($$ select * from pg_temp.at(now() - interval '3 days' - interval '1 microsecond') $$,
  $$ values (150::bigint, 100::bigint, 50::bigint, 0::bigint, 0::bigint) $$, 'a microsecond before it: not yet');
select results_eq($$ select * from pg_temp.at(now() - interval '5 days') $$,
  $$ values (100::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$, 'exactly at the first row''s time: it is in');

-- Refusals.
select throws_ok($$ select * from pg_temp.at(now() - interval '5 days' - interval '1 microsecond') $$, 'CR003', null,
  'before the account''s first bucketed row is CR003');
select throws_ok($$ select * from pg_temp.at(null) $$, 'CR003', null, 'a null instant is CR003');
select throws_ok($$ select * from pg_temp.at('infinity') $$, 'CR003', null, 'an infinite instant is CR003');
select throws_ok($$ select * from pg_temp.at('-infinity') $$, 'CR003', null, 'and -infinity too');
select throws_ok($$ select * from credit_balance_at(null, now()) $$, 'CR003', null, 'a null user is CR003');
select throws_ok($$ select * from credit_balance_at('00000000-0000-0000-0000-00000000dead', now()) $$, 'CR002', null, 'no account is CR002');

-- Who may call it.
set local role credits_service;
select results_eq($$ select total_credits, debt_credits from credit_balance_at('00000000-0000-0000-0000-0000000029c1', now()) $$,
  $$ values (0::bigint, 40::bigint) $$, 'credits_service may call it');
reset role;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000029c1", "role": "authenticated"}', true);
set local role authenticated;
select throws_ok($$ select * from credit_balance_at('00000000-0000-0000-0000-0000000029c1', now()) $$, '42501', null,
  'authenticated may not call it, even for their own account');
reset role;

select * from finish(true);
rollback;
