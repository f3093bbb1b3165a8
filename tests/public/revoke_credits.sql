-- revoke_credits (contract §13): takes credits back, purchased first, then monthly, then
-- promotional (the lot expiring last first); what the account no longer holds becomes debt. One
-- 'revocation' ledger row of -p_credits with its parts; idempotent per key (CR006 for the key
-- with another amount or reason), keys apart from grant_credits'; every refusal has its code
-- and writes nothing; only the service may call it.
begin;
set local search_path to public, tap;
select plan(42);

-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values
  ('cols', '00000000-0000-0000-0000-0000000013b1'), ('order', '00000000-0000-0000-0000-0000000013b2'),
  ('other', '00000000-0000-0000-0000-0000000013b3'), ('lapse', '00000000-0000-0000-0000-0000000013b4'),
  ('role', '00000000-0000-0000-0000-0000000013b5');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.buckets(p_name text)
  returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint, debt bigint)
  language sql as $$ select uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, coalesce(d.debt_credits, 0)
                       from user_credits uc left join credits_private.account_debts d on d.user_id = uc.user_id
                      where uc.user_id = pg_temp.id(p_name) $$;
create function pg_temp.revocation(p_name text, p_key text)
  returns table (amount bigint, monthly bigint, promotional bigint, debt bigint, balance_after bigint)
  language sql as $$ select amount, monthly_amount, promotional_amount, coalesce(debt_amount, 0), balance_after from credit_transactions
                      where user_id = pg_temp.id(p_name) and type = 'revocation' and idempotency_key = p_key $$;
create function pg_temp.writes(p_name text) returns text language sql as $$
  select format('%s rows, %s', (select count(*) from credit_transactions where user_id = pg_temp.id(p_name)),
                (select b::text from pg_temp.buckets(p_name) b)) $$;

-- 1. The result and the ledger row.
select grant_credits(pg_temp.id('cols'), 50, 'pack', 'pack-1');
create temp table r1 as select * from revoke_credits(pg_temp.id('cols'), 30, 'refund of order 1', 'rev-1');
select results_eq($$ select revoked, debt_credits, balance, replayed from r1 $$,
  $$ values (30::bigint, 0::bigint, 120::bigint, false) $$, 'result: revoked is p_credits, with the debt and the balance after');
select results_eq($$ select type, amount, monthly_amount, promotional_amount, coalesce(debt_amount, 0), description, balance_after
                      from credit_transactions where id = (select transaction_id from r1) $$,
  $$ values ('revocation', -30::bigint, 0::bigint, 0::bigint, 0::bigint, 'refund of order 1', 120::bigint) $$,
  'result: transaction_id is one revocation row of -p_credits, with the reason');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('cols') and type = 'revocation'), 1,
  'one ledger row per revocation');
select results_eq($$ select * from pg_temp.buckets('cols') $$, $$ values (120::bigint, 100::bigint, 20::bigint, 0::bigint, 0::bigint) $$,
  'order: purchased credits are taken first');

-- 2. Idempotent per key: a replay returns the first result and takes nothing more.
select results_eq($$ select transaction_id, revoked, debt_credits, balance, replayed
                      from revoke_credits(pg_temp.id('cols'), 30, 'refund of order 1', 'rev-1') $$,
  $$ select transaction_id, revoked, debt_credits, balance, true from r1 $$, 'replay: the same key returns the first result, replayed');
select results_eq($$ select * from pg_temp.buckets('cols') $$, $$ values (120::bigint, 100::bigint, 20::bigint, 0::bigint, 0::bigint) $$,
  'replay: nothing is taken twice');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('cols') and type = 'revocation'), 1,
  'replay: no second row');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 31, 'refund of order 1', 'rev-1') $$, 'CR006', null,
  'the same key with another amount is CR006');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 30, 'refund of order 2', 'rev-1') $$, 'CR006', null,
  'the same key with another reason is CR006');
-- Keys are apart from grant_credits' keys, and per account.
select results_eq($$ select replayed, balance from grant_credits(pg_temp.id('cols'), 5, 'pack', 'rev-1') $$,
  $$ values (false, 125::bigint) $$, 'keys: a revocation''s key is a new key for grant_credits');
select results_eq($$ select revoked, balance, replayed from revoke_credits(pg_temp.id('cols'), 5, 'refund of pack 1', 'pack-1') $$,
  $$ values (5::bigint, 120::bigint, false) $$, 'keys: a purchase''s key is a new key for revoke_credits');
select results_eq($$ select replayed, balance from revoke_credits(pg_temp.id('other'), 30, 'refund of order 1', 'rev-1') $$,
  $$ values (false, 70::bigint) $$, 'keys: another account''s key is a new revocation');
-- A replay after the account changed still returns what the first call left.
select revoke_credits(pg_temp.id('cols'), 500, 'chargeback', 'rev-2');
select results_eq($$ select debt_credits, balance, replayed from revoke_credits(pg_temp.id('cols'), 30, 'refund of order 1', 'rev-1') $$,
  $$ values (0::bigint, 120::bigint, true) $$, 'replay: the first call''s debt and balance, whatever happened since');
select results_eq($$ select revoked, debt_credits, balance, replayed from revoke_credits(pg_temp.id('cols'), 500, 'chargeback', 'rev-2') $$,
  $$ values (500::bigint, 380::bigint, 0::bigint, true) $$, 'replay: of a revocation that left a debt, the same debt, none added');

-- 3. The order: purchased, then monthly, then promotional (the lot expiring last first); the rest is debt.
select grant_credits(pg_temp.id('order'), 50, 'pack', 'order-pack');
select grant_promotional_credits(pg_temp.id('order'), 20, '3 days', 'soon', 'order-soon');
select grant_promotional_credits(pg_temp.id('order'), 10, '7 days', 'late', 'order-late');
select results_eq($$ select debt_credits, balance from revoke_credits(pg_temp.id('order'), 60, 'refund', 'o-1') $$,
  $$ values (0::bigint, 120::bigint) $$, 'order: 60 of 180 taken, no debt');
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (120::bigint, 90::bigint, 0::bigint, 30::bigint, 0::bigint) $$,
  'order: all 50 purchased credits first, then 10 monthly');
select results_eq($$ select amount, monthly, promotional, debt, balance_after from pg_temp.revocation('order', 'o-1') $$,
  $$ values (-60::bigint, -10::bigint, 0::bigint, 0::bigint, 120::bigint) $$, 'the row: its monthly part, the rest purchased');
select results_eq($$ select debt_credits, balance from revoke_credits(pg_temp.id('order'), 95, 'refund', 'o-2') $$,
  $$ values (0::bigint, 25::bigint) $$, 'order: 95 more taken, no debt');
select results_eq($$ select reason, remaining from credits_private.promotional_lots where user_id = pg_temp.id('order') order by expires_at $$,
  $$ values ('soon', 20::bigint), ('late', 5::bigint) $$, 'order: the monthly credits, then the lot expiring last');
select results_eq($$ select amount, monthly, promotional, debt from pg_temp.revocation('order', 'o-2') $$,
  $$ values (-95::bigint, -90::bigint, -5::bigint, 0::bigint) $$, 'the row: its monthly and promotional parts');
select results_eq($$ select revoked, debt_credits, balance from revoke_credits(pg_temp.id('order'), 30, 'chargeback', 'o-3') $$,
  $$ values (30::bigint, 5::bigint, 0::bigint) $$, 'debt: what the account no longer holds becomes debt');
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 5::bigint) $$,
  'debt: every bucket emptied, none negative');
select results_eq($$ select amount, monthly, promotional, debt, balance_after from pg_temp.revocation('order', 'o-3') $$,
  $$ values (-30::bigint, 0::bigint, -25::bigint, -5::bigint, 0::bigint) $$, 'the row: its promotional part and its debt part');
select results_eq($$ select debt_credits, balance from revoke_credits(pg_temp.id('order'), 10, 'chargeback', 'o-4') $$,
  $$ values (15::bigint, 0::bigint) $$, 'debt: a revocation from an account in debt adds to it');
select results_eq($$ select debt_credits from get_credit_balance(pg_temp.id('order')) $$, $$ values (15::bigint) $$,
  'debt: get_credit_balance shows it');
-- A lot past its date expires first: it is not revoked.
select grant_promotional_credits(pg_temp.id('lapse'), 20, '1 day', 'gone', 'lapse-1');
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = pg_temp.id('lapse');
select results_eq($$ select debt_credits, balance from revoke_credits(pg_temp.id('lapse'), 10, 'refund', 'l-1') $$,
  $$ values (0::bigint, 90::bigint) $$, 'a lot past its date is not revoked: monthly credits are');
select results_eq($$ select type, amount from credit_transactions where user_id = pg_temp.id('lapse') and amount < 0 order by type $$,
  $$ values ('expiration', -20::bigint), ('revocation', -10::bigint) $$, 'the lot past its date expires, a row of its own');

-- 4. Refusals: each with its code, nothing written.
create temp table before_refusals as select pg_temp.writes('cols') as w;
select throws_ok($$ select * from revoke_credits('00000000-0000-0000-0000-0000000013ff', 5, 'x', 'k') $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select * from revoke_credits(null, 5, 'x', 'k') $$, 'CR003', null, 'a null user is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 0, 'x', 'k') $$, 'CR003', null, 'zero credits is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), -5, 'x', 'k') $$, 'CR003', null, 'negative credits is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 100000001, 'x', 'k') $$, 'CR003', null, 'more than 100,000,000 credits is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), null, 'x', 'k') $$, 'CR003', null, 'null credits is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 5, ' ', 'k') $$, 'CR003', null, 'a blank reason is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 5, null, 'k') $$, 'CR003', null, 'a null reason is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 5, 'x', E' \t') $$, 'CR003', null, 'a blank key is CR003');
select throws_ok($$ select * from revoke_credits(pg_temp.id('cols'), 5, 'x', null) $$, 'CR003', null, 'the key is required');
select is(pg_temp.writes('cols'), (select w from before_refusals), 'the refusals wrote nothing');

-- 5. Who may call it: the service, not end users.
set local role authenticated;
select throws_ok($$ select * from revoke_credits('00000000-0000-0000-0000-0000000013b5', 5, 'x', 'auth') $$, '42501', null,
  'authenticated may not revoke credits');
reset role;
set local role anon;
select throws_ok($$ select * from revoke_credits('00000000-0000-0000-0000-0000000013b5', 5, 'x', 'anon') $$, '42501', null,
  'anon may not revoke credits');
reset role;
set local role credits_service;
select results_eq($$ select revoked, balance from revoke_credits('00000000-0000-0000-0000-0000000013b5', 5, 'x', 'service') $$,
  $$ values (5::bigint, 95::bigint) $$, 'credits_service may');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
