-- grant_promotional_credits (contract §10): a lot of credits that expire on their own date, and
-- its ledger row; idempotent per key, and every refusal has its code and writes nothing.
begin;
set local search_path to public, tap;
select plan(16);

-- The test runs in one transaction, so now() stands still: an expiry is now() + p_valid_for exactly.
create temp table u (name text primary key, id uuid);
insert into u values ('order', '00000000-0000-0000-0000-0000000000f1'), ('year', '00000000-0000-0000-0000-0000000000f5');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;

-- The grant: a lot and its ledger row (an adjustment, all of it promotional), idempotent per key.
select results_eq($$ select balance, replayed, expires_at = now() + interval '7 days'
                      from grant_promotional_credits(pg_temp.id('order'), 50, '7 days', 'launch week', 'promo-1') $$,
  $$ values (150::bigint, false, true) $$, 'a grant adds to the balance and expires after p_valid_for');
select results_eq($$ select type, amount, monthly_amount, promotional_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('order') and promotional_amount > 0 $$,
  $$ values ('adjustment', 50::bigint, 0::bigint, 50::bigint, 150::bigint) $$, 'one adjustment row, all of it promotional');
select results_eq($$ select replayed, balance from grant_promotional_credits(pg_temp.id('order'), 50, '7 days', 'launch week', 'promo-1') $$,
  $$ values (true, 150::bigint) $$, 'the same key again replays the grant');
select is((select count(*)::int from credits_private.promotional_lots where user_id = pg_temp.id('order')), 1, 'and adds no lot');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 50, '8 days', 'launch week', 'promo-1') $$,
  'CR006', null, 'the same key with another validity is CR006');
select lives_ok($$ select grant_credits(pg_temp.id('order'), 20, 'pack', 'promo-1') $$, 'grant_credits'' keys are its own');

-- Refusals: each with its code, nothing written.
select throws_ok($$ select * from grant_promotional_credits('00000000-0000-0000-0000-00000000dead', 5, '1 day', 'x', 'k') $$,
  'CR002', null, 'no account is CR002');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 0, '1 day', 'x', 'k') $$, 'CR003', null, 'no credits is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '30 seconds', 'x', 'k') $$,
  'CR003', 'p_valid_for must be between 1 minute and 366 days', 'a validity under a minute is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '-1 day', 'x', 'k') $$, 'CR003', null, 'a negative validity too');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '367 days', 'x', 'k') $$, 'CR003', null, 'and one over 366 days');
select lives_ok($$ select * from grant_promotional_credits(pg_temp.id('year'), 5, '1 year', 'x', 'year-long') $$, 'a year passes');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, null, 'x', 'k') $$, 'CR003', null, 'and none');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '1 day', ' ', 'k') $$, 'CR003', null, 'a blank reason is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '1 day', 'x', null) $$, 'CR003', null, 'the key is required');
select is((select count(*)::int from credits_private.promotional_lots where user_id = pg_temp.id('order')), 1, 'the refusals wrote no lot');

select * from finish();
rollback;
