-- void_promotional_grant (contract §13): what is left of a grant expires now (one 'expiration'
-- row); charges already made from it stay; a later refund or settlement to it is not given back
-- (it expires at once, an 'expiration' row), unlike a refund to a grant that simply reached its
-- date (§10: back as purchased credits); voiding twice changes nothing; every refusal has its code.
begin;
set local search_path to public, tap;
select plan(37);

-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values
  ('void', '00000000-0000-0000-0000-0000000013c1'), ('lapse', '00000000-0000-0000-0000-0000000013c2'),
  ('settle', '00000000-0000-0000-0000-0000000013c3'), ('spent', '00000000-0000-0000-0000-0000000013c4'),
  ('debt', '00000000-0000-0000-0000-0000000013c5'), ('role', '00000000-0000-0000-0000-0000000013c6');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
create function pg_temp.buckets(p_name text)
  returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint, debt bigint)
  language sql as $$ select uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, coalesce(d.debt_credits, 0)
                       from user_credits uc left join credits_private.account_debts d on d.user_id = uc.user_id
                      where uc.user_id = pg_temp.id(p_name) $$;
create function pg_temp.rows_of(p_name text) returns bigint language sql as $$
  select count(*) from credit_transactions where user_id = pg_temp.id(p_name) $$;
create temp table g (name text primary key, lot bigint);
create temp table t (name text primary key, task uuid);

-- 1. What is left expires now, one 'expiration' row; the charges already made stay.
insert into g select 'void', lot_id from grant_promotional_credits(pg_temp.id('void'), 50, '7 days', 'launch', 'void-1');
insert into t values ('a', pg_temp.start('void', 20)), ('b', pg_temp.start('void', 10));  -- 30 of the grant spent
select complete_generation((select task from t where name = 'b'));
create temp table v1 as select * from void_promotional_grant(pg_temp.id('void'), (select lot from g where name = 'void'), 'abused');
select results_eq($$ select lot_id, expired_credits, balance, outcome from v1 $$,
  $$ values ((select lot from g where name = 'void'), 20::bigint, 100::bigint, 'voided') $$,
  'result: the lot, the 20 credits left that expired now, the balance after, voided');
select results_eq($$ select type, amount, promotional_amount, monthly_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('void') and type = 'expiration' $$,
  $$ values ('expiration', -20::bigint, -20::bigint, 0::bigint, 100::bigint) $$, 'what is left expires as one expiration row');
select results_eq($$ select * from pg_temp.buckets('void') $$, $$ values (100::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'the promotional bucket is empty, the rest untouched');
select results_eq($$ select remaining, voided_at is not null from credits_private.promotional_lots where id = (select lot from g where name = 'void') $$,
  $$ values (0::bigint, true) $$, 'the lot holds nothing and is voided');
select results_eq($$ select c.amount, e.status from credit_transactions c join enhancement_tasks e on e.id = c.task_id
                     where c.user_id = pg_temp.id('void') and c.task_id is not null order by c.amount $$,
  $$ values (-20::bigint, 'pending'), (-10::bigint, 'completed') $$, 'the charges already made from it stay');
select results_eq($$ select total_credits, promotional_credits from get_credit_balance(pg_temp.id('void')) $$,
  $$ values (100::bigint, 0::bigint) $$, 'get_credit_balance: the voided grant holds nothing');

-- 2. Voiding again changes nothing.
create temp table before_again as select pg_temp.rows_of('void') as n;
select results_eq($$ select lot_id, expired_credits, balance, outcome
                      from void_promotional_grant(pg_temp.id('void'), (select lot from g where name = 'void'), 'abused') $$,
  $$ values ((select lot from g where name = 'void'), 0::bigint, 100::bigint, 'already_voided') $$,
  'voiding twice: already_voided, nothing expired');
select results_eq($$ select outcome from void_promotional_grant(pg_temp.id('void'), (select lot from g where name = 'void'), 'another reason') $$,
  $$ values ('already_voided') $$, 'voiding twice: whatever the reason');
select is(pg_temp.rows_of('void'), (select n from before_again), 'voiding twice writes no row');

-- 3. A later refund of a charge that spent the voided grant is not given back: it expires at once.
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'a'), 'provider error') $$,
  $$ values (20, 100::bigint) $$, 'refund: the charge is refunded, the balance unchanged by it');
select results_eq($$ select type, amount, promotional_amount from credit_transactions
                     where user_id = pg_temp.id('void') and (task_id = (select task from t where name = 'a') and type = 'refund'
                                                             or type = 'expiration' and amount = -20 and balance_after = 100
                                                                and description ~ 'refund')
                     order by amount desc $$,
  $$ values ('refund', 20::bigint, 20::bigint), ('expiration', -20::bigint, -20::bigint) $$,
  'refund: the refund row, and an expiration row of the same credits right away');
select results_eq($$ select * from pg_temp.buckets('void') $$, $$ values (100::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'refund: no bucket gained the voided grant''s credits');
select results_eq($$ select remaining from credits_private.promotional_lots where id = (select lot from g where name = 'void') $$,
  $$ values (0::bigint) $$, 'refund: the voided lot still holds nothing');
select results_eq($$ select outcome, refunded_credits from fail_generation((select task from t where name = 'a'), 'provider error') $$,
  $$ values ('already_failed', 0) $$, 'refund: a duplicate failure expires nothing more');
select is(pg_temp.rows_of('void'), (select n from before_again) + 2, 'refund: two rows, no more');

-- ... unlike a grant that simply reached its date: its refund comes back as purchased credits (§10).
insert into g select 'lapse', lot_id from grant_promotional_credits(pg_temp.id('lapse'), 50, '7 days', 'launch', 'lapse-1');
insert into t values ('l', pg_temp.start('lapse', 20));
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = pg_temp.id('lapse');
select expire_promotional_credits();
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'l'), 'provider error') $$,
  $$ values (20, 120::bigint) $$, 'unlike: a refund to a grant that expired on its date is given back');
select results_eq($$ select * from pg_temp.buckets('lapse') $$, $$ values (120::bigint, 100::bigint, 20::bigint, 0::bigint, 0::bigint) $$,
  'unlike: as purchased credits');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('lapse') and type = 'expiration'), 1,
  'unlike: only the expiry of the grant''s date, none for the refund');

-- 4. A settlement to a voided grant is not given back either.
insert into g select 'settle', lot_id from grant_promotional_credits(pg_temp.id('settle'), 50, '7 days', 'launch', 'settle-1');
insert into t values ('s', pg_temp.start('settle', 30));  -- 30 of the grant
select results_eq($$ select expired_credits, balance from void_promotional_grant(pg_temp.id('settle'), (select lot from g where name = 'settle'), 'abused') $$,
  $$ values (20::bigint, 100::bigint) $$, 'settlement: the grant voided with 20 left');
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 's'), null, null, 10) $$,
  $$ values ('completed', 10::bigint, 20) $$, 'settlement: 20 of the hold settled back');
select results_eq($$ select * from pg_temp.buckets('settle') $$, $$ values (100::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'settlement: the balance unchanged by it');
select results_eq($$ select type, amount from credit_transactions where user_id = pg_temp.id('settle') and type in ('refund', 'expiration')
                     order by type, amount $$,
  $$ values ('expiration', -20::bigint), ('expiration', -20::bigint), ('refund', 20::bigint) $$,
  'settlement: the settlement row, and its credits expired at once');

-- 5. A grant spent to nothing: voided, nothing to expire; a refund to it later still expires.
insert into g select 'spent', lot_id from grant_promotional_credits(pg_temp.id('spent'), 20, '7 days', 'launch', 'spent-1');
insert into t values ('p', pg_temp.start('spent', 20));
select results_eq($$ select expired_credits, balance, outcome from void_promotional_grant(pg_temp.id('spent'), (select lot from g where name = 'spent'), 'abused') $$,
  $$ values (0::bigint, 100::bigint, 'voided') $$, 'a spent grant: voided, nothing expired');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('spent') and type = 'expiration'), 0,
  'a spent grant: no expiration row');
-- An account in debt: the refund to the voided grant does not repay the debt either.
insert into g select 'debt', lot_id from grant_promotional_credits(pg_temp.id('debt'), 50, '7 days', 'launch', 'debt-1');
insert into t values ('d', pg_temp.start('debt', 50));
select revoke_credits(pg_temp.id('debt'), 120, 'chargeback', 'debt-cb');  -- 100 monthly, 20 debt
select void_promotional_grant(pg_temp.id('debt'), (select lot from g where name = 'debt'), 'abused');
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'd'), 'provider error') $$,
  $$ values (50, 0::bigint) $$, 'in debt: the refund to the voided grant expires at once');
select results_eq($$ select * from pg_temp.buckets('debt') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 20::bigint) $$,
  'in debt: and repays nothing');

-- 6. Refusals.
select throws_ok($$ select * from void_promotional_grant(pg_temp.id('lapse'), (select lot from g where name = 'void'), 'x') $$,
  'CR003', null, 'another account''s grant is CR003');
select throws_ok($$ select * from void_promotional_grant(pg_temp.id('void'), 999999999, 'x') $$, 'CR003', null, 'an unknown lot is CR003');
select throws_ok($$ select * from void_promotional_grant(pg_temp.id('void'), null, 'x') $$, 'CR003', null, 'a null lot is CR003');
select throws_ok($$ select * from void_promotional_grant(pg_temp.id('lapse'), (select lot from g where name = 'lapse'), ' ') $$,
  'CR003', null, 'a blank reason is CR003');
select throws_ok($$ select * from void_promotional_grant(pg_temp.id('lapse'), (select lot from g where name = 'lapse'), null) $$,
  'CR003', null, 'a null reason is CR003');
select throws_ok($$ select * from void_promotional_grant(null, (select lot from g where name = 'lapse'), 'x') $$,
  'CR003', null, 'a null user is CR003');
select throws_ok($$ select * from void_promotional_grant('00000000-0000-0000-0000-0000000013ff', (select lot from g where name = 'lapse'), 'x') $$,
  'CR002', null, 'no account is CR002');

-- 7. Who may call it: the service, not end users.
insert into g select 'role', lot_id from grant_promotional_credits(pg_temp.id('role'), 5, '7 days', 'launch', 'role-1');
create temp table role_lot as select lot from g where name = 'role';
grant select on role_lot to public;
set local role authenticated;
select throws_ok($$ select * from void_promotional_grant('00000000-0000-0000-0000-0000000013c6', (select lot from role_lot), 'x') $$,
  '42501', null, 'authenticated may not void a grant');
reset role;
set local role anon;
select throws_ok($$ select * from void_promotional_grant('00000000-0000-0000-0000-0000000013c6', (select lot from role_lot), 'x') $$,
  '42501', null, 'anon may not void a grant');
reset role;
set local role credits_service;
select results_eq($$ select expired_credits, outcome from void_promotional_grant('00000000-0000-0000-0000-0000000013c6', (select lot from role_lot), 'x') $$,
  $$ values (5::bigint, 'voided') $$, 'credits_service may');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
