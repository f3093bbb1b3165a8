-- Contract §13, debt rule by rule: a revocation that takes more than an account holds leaves a
-- debt (debt_credits in every balance result, never negative); credits - debt_credits = Σ amount;
-- each ledger row carries the part of it that created (negative) or repaid (positive) debt
-- (debt_amount, debt = -Σ debt_amount); every credit that comes in repays the debt first (a
-- purchase, an allocation, a top-up, a refund, a settlement, a promotional grant), in part or
-- with credits over; an account in debt cannot start a generation; statements show what was
-- revoked and the debt; verify_ledger proves it all and finds a debt tampered with.
begin;
set local search_path to public, tap;
select plan(75);

-- The test runs in one transaction, so now() stands still: a month "ends" by moving the
-- account's period back (contract §13, "Testing a period change").
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
create temp table u (name text primary key, id uuid);
insert into u values
  ('buy', '00000000-0000-0000-0000-0000000013a1'), ('lazy', '00000000-0000-0000-0000-0000000013a2'),
  ('batch', '00000000-0000-0000-0000-0000000013a3'), ('upgrade', '00000000-0000-0000-0000-0000000013a4'),
  ('refund', '00000000-0000-0000-0000-0000000013a5'), ('settle', '00000000-0000-0000-0000-0000000013a6'),
  ('promo', '00000000-0000-0000-0000-0000000013a7'), ('promoback', '00000000-0000-0000-0000-0000000013a8'),
  ('stmt', '00000000-0000-0000-0000-0000000013a9'), ('clean', '00000000-0000-0000-0000-0000000013aa');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.revoke(p_name text, p_credits integer, p_key text) returns bigint language sql as $$
  select debt_credits from revoke_credits(pg_temp.id(p_name), p_credits, 'chargeback', p_key) $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
-- An account's buckets and its debt, as the tables hold them.
create function pg_temp.buckets(p_name text)
  returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint, debt bigint)
  language sql as $$ select uc.credits, uc.monthly_credits, uc.purchased_credits, uc.promotional_credits, coalesce(d.debt_credits, 0)
                       from user_credits uc left join credits_private.account_debts d on d.user_id = uc.user_id
                      where uc.user_id = pg_temp.id(p_name) $$;
-- An account's ledger row of one type (of that task or idempotency key, when given).
create function pg_temp.row_of(p_name text, p_type text, p_task uuid default null, p_key text default null)
  returns table (amount bigint, monthly bigint, promotional bigint, debt bigint, balance_after bigint)
  language sql as $$ select amount, monthly_amount, promotional_amount, coalesce(debt_amount, 0), balance_after from credit_transactions
                      where user_id = pg_temp.id(p_name) and type = p_type and (p_task is null or task_id = p_task)
                        and (p_key is null or idempotency_key = p_key) $$;
-- Moves an account back one period: its period_start and its rows' (nothing else).
create function pg_temp.back_one_period(p_name text) returns void language sql as $$
  update user_credits set period_start = (select last_month from p) where user_id = pg_temp.id(p_name);
  update credit_transactions set period_start = (select last_month from p)
   where user_id = pg_temp.id(p_name) and period_start is not null $$;
create temp table t (name text primary key, task uuid);

-- 1. A revocation beyond what the account holds leaves a debt; the balance results show it.
select results_eq($$ select revoked, debt_credits, balance from revoke_credits(pg_temp.id('buy'), 150, 'chargeback', 'cb-buy') $$,
  $$ values (150::bigint, 50::bigint, 0::bigint) $$, 'debt: a revocation of 150 from 100 leaves a debt of 50 and a balance of 0');
select results_eq($$ select * from pg_temp.buckets('buy') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 50::bigint) $$,
  'debt: no bucket goes negative, the debt holds the rest');
select results_eq($$ select total_credits, debt_credits from get_credit_balance(pg_temp.id('buy')) $$,
  $$ values (0::bigint, 50::bigint) $$, 'get_credit_balance: shows debt_credits');
select results_eq($$ select debt_credits from get_credit_balance(pg_temp.id('clean')) $$, $$ values (0::bigint) $$,
  'get_credit_balance: debt_credits is 0, not null, for an account that owes nothing');
select is((select (to_jsonb(e) ->> 'debt_credits')::bigint from ensure_credit_account(pg_temp.id('buy'), 'basic') e), 50::bigint,
  'ensure_credit_account: its balance result shows debt_credits too');
select set_config('request.jwt.claims', json_build_object('sub', pg_temp.id('buy'), 'role', 'authenticated')::text, true);
set local role authenticated;
create temp table mine as select * from my_credit_balance();
reset role;
select results_eq($$ select total_credits, debt_credits from mine $$, $$ values (0::bigint, 50::bigint) $$,
  'my_credit_balance: shows the caller''s debt_credits');
select results_eq($$ select amount, monthly, promotional, debt, balance_after from pg_temp.row_of('buy', 'revocation') $$,
  $$ values (-150::bigint, -100::bigint, 0::bigint, -50::bigint, 0::bigint) $$,
  'debt_amount: the revocation row''s debt part is negative, the debt it created');
select results_eq($$ select type, amount, debt_amount from credit_history(pg_temp.id('buy')) where type = 'revocation' $$,
  $$ values ('revocation', -150::bigint, -50::bigint) $$, 'credit_history: the row reads type revocation, with its debt_amount');
select throws_ok($$ select pg_temp.start('buy', 1) $$, 'CR001', null, 'debt: an account in debt is refused a start (CR001)');

-- 2. A purchase repays the debt first: in part, then with credits over.
select results_eq($$ select balance from grant_credits(pg_temp.id('buy'), 30, 'pack', 'buy-1') $$, $$ values (0::bigint) $$,
  'purchase: 30 credits against a debt of 50 leave nothing to spend');
select results_eq($$ select * from pg_temp.buckets('buy') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 20::bigint) $$,
  'purchase: a partial repayment lowers the debt to 20');
select results_eq($$ select amount, debt, balance_after from pg_temp.row_of('buy', 'purchase', null, 'buy-1') $$,
  $$ values (30::bigint, 30::bigint, 0::bigint) $$, 'debt_amount: the purchase row says all 30 repaid debt');
select throws_ok($$ select pg_temp.start('buy', 1) $$, 'CR001', null, 'debt: still in debt, still refused a start');
select results_eq($$ select balance from grant_credits(pg_temp.id('buy'), 50, 'pack', 'buy-2') $$, $$ values (30::bigint) $$,
  'purchase: 50 credits against a debt of 20 leave 30 to spend');
select results_eq($$ select * from pg_temp.buckets('buy') $$, $$ values (30::bigint, 0::bigint, 30::bigint, 0::bigint, 0::bigint) $$,
  'purchase: the debt is repaid, the rest is purchased credits');
select results_eq($$ select amount, debt, balance_after from pg_temp.row_of('buy', 'purchase', null, 'buy-2') $$,
  $$ values (50::bigint, 20::bigint, 30::bigint) $$, 'debt_amount: the purchase row says 20 of 50 repaid debt');
select results_eq($$ select type, amount, debt_amount from credit_history(pg_temp.id('buy')) where type = 'purchase' order by debt_amount $$,
  $$ values ('purchase', 50::bigint, 20::bigint), ('purchase', 30::bigint, 30::bigint) $$,
  'credit_history: repaying rows show their positive debt_amount');
select lives_ok($$ select pg_temp.start('buy', 30) $$, 'debt: once repaid, the account may start again');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a debt repaid by purchases');

-- 3. A monthly allocation repays it first: the account's lazy roll-over ...
select pg_temp.revoke('lazy', 130, 'cb-lazy');
select throws_ok($$ select pg_temp.start('lazy', 1) $$, 'CR001', null, 'debt: an account in debt is refused a start, however small');
select pg_temp.back_one_period('lazy');
select results_eq($$ select total_credits, monthly_credits, debt_credits, period_start from get_credit_balance(pg_temp.id('lazy')) $$,
  $$ values (70::bigint, 70::bigint, 0::bigint, (select this_month from p)) $$,
  'allocation: a read of the new month shows the allowance that repaid the debt of 30');
select results_eq($$ select balance from start_generation(pg_temp.id('lazy'), 'image', 'wavespeed', 'nano-banana', 10) $$,
  $$ values (60::bigint) $$, 'allocation: the first charge of the new month rolls over, repays the debt, then charges');
select results_eq($$ select amount, monthly_amount, debt_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('lazy') and type = 'allocation' and period_start = (select this_month from p) $$,
  $$ values (100::bigint, 70::bigint, 30::bigint, 70::bigint) $$,
  'debt_amount: the allocation row says 30 of 100 repaid debt, 70 monthly credits');
select results_eq($$ select * from pg_temp.buckets('lazy') $$, $$ values (60::bigint, 60::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'allocation: the debt is gone, the rest of the allowance spendable');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a lazy roll-over repaid a debt');

-- ... and the monthly batch, repaying part of a larger debt.
select pg_temp.revoke('batch', 250, 'cb-batch');
select pg_temp.back_one_period('batch');
select results_eq($$ select total_credits, monthly_credits, debt_credits from get_credit_balance(pg_temp.id('batch')) $$,
  $$ values (0::bigint, 0::bigint, 50::bigint) $$, 'allocation: a read of the new month shows the debt the allowance leaves');
select results_eq($$ select accounts, credits_allocated from allocate_monthly_credits((select this_month from p)) $$,
  $$ values (1, 100::bigint) $$, 'allocation: allocate_monthly_credits moves the account in debt');
select results_eq($$ select amount, monthly_amount, debt_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('batch') and type = 'allocation' and period_start = (select this_month from p) $$,
  $$ values (100::bigint, 0::bigint, 100::bigint, 0::bigint) $$, 'debt_amount: the whole allowance repaid debt');
select results_eq($$ select * from pg_temp.buckets('batch') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 50::bigint) $$,
  'allocation: a partial repayment, 50 still owed');
select throws_ok($$ select pg_temp.start('batch', 1) $$, 'CR001', null, 'debt: still in debt after the allocation, refused a start');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after the batch repaid part of a debt');

-- 4. An upgrade's top-up repays it first.
select pg_temp.revoke('upgrade', 120, 'cb-upgrade');
select results_eq($$ select outcome, credits_granted, balance from change_tier(pg_temp.id('upgrade'), 'pro', 'up-1') $$,
  $$ values ('upgraded', 400::bigint, 380::bigint) $$, 'top-up: an upgrade of 400 against a debt of 20 leaves 380');
select results_eq($$ select amount, monthly, debt, balance_after from pg_temp.row_of('upgrade', 'tier_upgrade') $$,
  $$ values (400::bigint, 380::bigint, 20::bigint, 380::bigint) $$, 'debt_amount: the tier_upgrade row says 20 repaid debt');
select results_eq($$ select * from pg_temp.buckets('upgrade') $$, $$ values (380::bigint, 380::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'top-up: the debt repaid, the rest monthly credits');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a top-up repaid a debt');

-- 5. A generation in flight keeps its hold; its refund repays the debt first.
insert into t values ('r30', pg_temp.start('refund', 30)), ('r20', pg_temp.start('refund', 20));  -- 50 monthly left
select results_eq($$ select revoked, debt_credits, balance from revoke_credits(pg_temp.id('refund'), 90, 'chargeback', 'cb-refund') $$,
  $$ values (90::bigint, 40::bigint, 0::bigint) $$, 'refund: a revocation past the credits left leaves a debt of 40');
select results_eq($$ select status, credits_used::bigint from enhancement_tasks where id in (select task from t where name in ('r30', 'r20')) order by credits_used $$,
  $$ values ('pending', 20::bigint), ('pending', 30::bigint) $$, 'refund: the generations in flight keep their holds');
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'r20'), 'provider error') $$,
  $$ values (20, 0::bigint) $$, 'refund: a refund of 20 against a debt of 40 repays it and leaves nothing to spend');
select results_eq($$ select amount, monthly, debt, balance_after from pg_temp.row_of('refund', 'refund', (select task from t where name = 'r20')) $$,
  $$ values (20::bigint, 0::bigint, 20::bigint, 0::bigint) $$, 'debt_amount: the refund row says all 20 repaid debt');
select results_eq($$ select * from pg_temp.buckets('refund') $$, $$ values (0::bigint, 0::bigint, 0::bigint, 0::bigint, 20::bigint) $$,
  'refund: a partial repayment, 20 still owed');
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'r30'), 'provider error') $$,
  $$ values (30, 10::bigint) $$, 'refund: a refund of 30 against a debt of 20 leaves 10 to spend');
select results_eq($$ select amount, monthly, debt, balance_after from pg_temp.row_of('refund', 'refund', (select task from t where name = 'r30')) $$,
  $$ values (30::bigint, 10::bigint, 20::bigint, 10::bigint) $$, 'debt_amount: the refund row says 20 repaid debt, 10 back to the monthly bucket');
select results_eq($$ select * from pg_temp.buckets('refund') $$, $$ values (10::bigint, 10::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'refund: the debt repaid, the rest back in its bucket');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after refunds repaid a debt');

-- ... and one that gives promotional credits back repays from them first.
select grant_promotional_credits(pg_temp.id('promoback'), 30, '7 days', 'welcome', 'pb-1');
insert into t values ('pb', pg_temp.start('promoback', 30));  -- all 30 promotional
select pg_temp.revoke('promoback', 110, 'cb-promoback');  -- 100 monthly, 10 debt
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'pb'), 'provider error') $$,
  $$ values (30, 20::bigint) $$, 'refund: promotional credits given back repay a debt of 10 first');
select results_eq($$ select amount, promotional, debt, balance_after from pg_temp.row_of('promoback', 'refund') $$,
  $$ values (30::bigint, 20::bigint, 10::bigint, 20::bigint) $$, 'debt_amount: 10 repaid, 20 back to the grant');
select results_eq($$ select b.*, (select remaining from credits_private.promotional_lots where user_id = pg_temp.id('promoback'))
                      from pg_temp.buckets('promoback') b $$,
  $$ values (20::bigint, 0::bigint, 0::bigint, 20::bigint, 0::bigint, 20::bigint) $$, 'refund: the grant holds the 20 left');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a promotional refund repaid a debt');

-- 6. A settlement (less used than the hold) repays it first.
insert into t values ('s', pg_temp.start('settle', 50));  -- 50 monthly left
select pg_temp.revoke('settle', 70, 'cb-settle');  -- debt 20
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 's'), null, null, 20) $$,
  $$ values ('completed', 20::bigint, 30) $$, 'settlement: 30 of the hold go back');
select results_eq($$ select r.amount, r.monthly, r.debt, r.balance_after, c.origin
                      from pg_temp.row_of('settle', 'refund') r, credit_transactions c
                     where c.task_id = (select task from t where name = 's') and c.type = 'refund' $$,
  $$ values (30::bigint, 10::bigint, 20::bigint, 10::bigint, 'settlement') $$, 'debt_amount: the settlement row says 20 repaid debt');
select results_eq($$ select * from pg_temp.buckets('settle') $$, $$ values (10::bigint, 10::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'settlement: the debt repaid, 10 monthly credits over');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a settlement repaid a debt');

-- 7. A promotional grant repays it first: the lot holds the rest.
select pg_temp.revoke('promo', 130, 'cb-promo');  -- debt 30
select results_eq($$ select balance from grant_promotional_credits(pg_temp.id('promo'), 50, '7 days', 'sorry', 'promo-1') $$,
  $$ values (20::bigint) $$, 'promotional grant: 50 against a debt of 30 leave 20');
select results_eq($$ select amount, promotional, debt, balance_after from pg_temp.row_of('promo', 'adjustment') $$,
  $$ values (50::bigint, 20::bigint, 30::bigint, 20::bigint) $$, 'debt_amount: the grant''s row says 30 repaid debt, 20 promotional');
select results_eq($$ select granted, remaining from credits_private.promotional_lots where user_id = pg_temp.id('promo') $$,
  $$ values (50::bigint, 20::bigint) $$, 'promotional grant: the lot holds the rest');
select results_eq($$ select * from pg_temp.buckets('promo') $$, $$ values (20::bigint, 0::bigint, 0::bigint, 20::bigint, 0::bigint) $$,
  'promotional grant: the debt repaid, 20 promotional credits');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a promotional grant repaid a debt');

-- 7b. A grant the debt takes whole is still a promotional grant in the statement, not an adjustment.
insert into u values ('absorbed', '00000000-0000-0000-0000-0000000013ab');
select ensure_credit_account(pg_temp.id('absorbed'), 'basic');
select pg_temp.revoke('absorbed', 140, 'cb-absorbed');  -- debt 40
select grant_promotional_credits(pg_temp.id('absorbed'), 30, '7 days', 'sorry', 'absorbed-1');  -- all of it repays
select results_eq($$ select promoted, adjusted, closing_balance, closing_debt from credit_statement(pg_temp.id('absorbed')) $$,
  $$ values (30::bigint, 0::bigint, 0::bigint, 10::bigint) $$,
  'statement: a promotional grant the debt took whole counts as promoted, not adjusted');
-- 7c. An import would add credits beside a debt: it is refused, the account named.
insert into credits_private.credit_import_rows values
  ('debt-import', 1, pg_temp.id('absorbed')::text, 'basic', '0', '50', '0', null, null);
select results_eq($$ select line, problem like '%owes 10 credits%' from credits_private.import_problems('debt-import') $$,
  $$ values (1::bigint, true) $$, 'import: an account in debt is a problem; nothing is imported beside a debt');
select throws_ok($$ select * from credits_private.import_balances('debt-import', 'opening balances') $$, 'CR003', null,
  'import: refused while an account of it is in debt');
delete from credits_private.credit_import_rows where import_id = 'debt-import';

-- 8. Statements: what was revoked, the debt at the month's start and end; the identity holds.
select results_eq($$ select revoked, purchased, allocated, opening_debt, closing_debt, closing_balance from credit_statement(pg_temp.id('buy')) $$,
  $$ values (150::bigint, 80::bigint, 100::bigint, 0::bigint, 0::bigint, 0::bigint) $$,
  'statement: revoked 150, the debt repaid within the month');
select results_eq($$ select revoked, opening_debt, closing_debt, closing_balance from credit_statement(pg_temp.id('batch')) $$,
  $$ values (250::bigint, 0::bigint, 50::bigint, 0::bigint) $$, 'statement: closing_debt is the debt at the month''s end');
-- An account whose revocation was last month (its rows dated last month too, for the statement).
select pg_temp.revoke('stmt', 130, 'cb-stmt');
select pg_temp.back_one_period('stmt');
update credit_transactions set created_at = created_at - interval '1 month' where user_id = pg_temp.id('stmt');
select ensure_credit_account(pg_temp.id('stmt'), 'basic');  -- the new month starts for it
select results_eq($$ select opening_balance, opening_debt, allocated, revoked, closing_balance, closing_debt
                      from credit_statement(pg_temp.id('stmt'), (select last_month from p)) $$,
  $$ values (0::bigint, 0::bigint, 100::bigint, 130::bigint, 0::bigint, 30::bigint) $$, 'statement: last month closed in debt');
select results_eq($$ select opening_balance, opening_debt, allocated, revoked, closing_balance, closing_debt
                      from credit_statement(pg_temp.id('stmt'), (select this_month from p)) $$,
  $$ values (0::bigint, 30::bigint, 100::bigint, 0::bigint, 70::bigint, 0::bigint) $$,
  'statement: this month opens with last month''s debt, which the allowance repaid');
select is_empty($$ select u.name, s.period_start from u, p,
                          lateral (select * from credit_statement(u.id, p.last_month) union all select * from credit_statement(u.id, p.this_month)) s
                    where s.closing_balance - s.closing_debt
                          is distinct from s.opening_balance - s.opening_debt + s.allocated + s.purchased + s.promoted - s.used
                                           + s.refunded + s.settled - s.expired + s.adjusted - s.revoked $$,
  'statement: closing_balance - closing_debt = opening_balance - opening_debt + allocated + purchased + promoted - used + refunded + settled - expired + adjusted - revoked, every account, every month');
select is_empty($$ select u.name from u, p, lateral credit_statement(u.id, p.this_month) s
                     join pg_temp.buckets(u.name) b on true
                    where (s.closing_balance, s.closing_debt) is distinct from (b.credits, b.debt) $$,
  'statement: the closing balance and debt are the account''s');

-- 9. The rules, over every account of the test.
select is_empty($$ select u.name from u, get_credit_balance(u.id) b where b.debt_credits is null or b.debt_credits < 0 $$,
  'debt_credits: every balance result''s is >= 0');
select is_empty($$ select u.name from u join pg_temp.buckets(u.name) b on true
                    where b.credits - b.debt <> (select coalesce(sum(amount), 0) from credit_transactions c where c.user_id = u.id) $$,
  'invariant 1: credits - debt_credits = Σ amount, every account');
select is_empty($$ select u.name from u join pg_temp.buckets(u.name) b on true
                    where b.debt <> (select -coalesce(sum(debt_amount), 0) from credit_transactions c where c.user_id = u.id) $$,
  'debt_amount: every account''s debt is -Σ debt_amount of its rows');
select is_empty($$ select u.name from u join pg_temp.buckets(u.name) b on true
                    where least(b.credits, b.monthly, b.purchased, b.promotional, b.debt) < 0 or b.debt > 0 and b.credits > 0 $$,
  'debt: no balance, bucket or debt is negative, and an account in debt holds nothing');
select is_empty($$ select * from credits_private.promotional_lots where remaining < 0 $$, 'debt: no promotional lot is negative');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after every scenario');

-- 10. verify_ledger proves the debt from the rows' debt parts: a tampered debt is found ...
update credits_private.account_debts set debt_credits = debt_credits + 5 where user_id = pg_temp.id('batch');
select results_eq($$ select invariant, user_id from verify_ledger() where invariant = 'debt_mismatch' $$,
  $$ values ('debt_mismatch', pg_temp.id('batch')) $$, 'verify_ledger: a debt changed outside the ledger is a debt_mismatch');
update credits_private.account_debts set debt_credits = debt_credits - 5 where user_id = pg_temp.id('batch');
-- ... and so is a debt on an account holding credits, even one its rows account for.
insert into credits_private.account_debts (user_id, debt_credits) values (pg_temp.id('upgrade'), 5)
  on conflict (user_id) do update set debt_credits = 5;
insert into credit_transactions (user_id, amount, debt_amount, type, description, origin)
values (pg_temp.id('upgrade'), -5, -5, 'adjustment', 'planted', 'rpc');
select results_eq($$ select invariant, user_id from verify_ledger() $$,
  $$ values ('debt_mismatch', pg_temp.id('upgrade')) $$, 'verify_ledger: a debt on an account holding credits is a debt_mismatch');
-- ... and a row whose debt part is not within its amount (no CHECK reads it: the proof does)
delete from credit_transactions where description = 'planted';
delete from credits_private.account_debts where user_id = pg_temp.id('upgrade');
insert into credit_transactions (user_id, amount, debt_amount, type, description, origin)
values (pg_temp.id('clean'), 5, -3, 'adjustment', 'planted', 'rpc'), (pg_temp.id('clean'), -5, 3, 'adjustment', 'planted', 'rpc');
select results_eq($$ select invariant, user_id, detail from verify_ledger() $$,
  $$ values ('debt_mismatch', pg_temp.id('clean'), '2 ledger rows whose debt part is not within their amount') $$,
  'verify_ledger: a row whose debt part has the wrong sign or exceeds its amount is a debt_mismatch');

select * from finish(true);
rollback;
