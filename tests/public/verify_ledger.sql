-- verify_ledger finds each kind of violation, planted by hand behind the functions' backs.
begin;
set local search_path to public, tap;
select plan(13);

select ensure_credit_account('00000000-0000-0000-0000-00000000009a', 'pro');
create temp table t as
  select (start_generation('00000000-0000-0000-0000-00000000009a', 'enhance', 'wavespeed', 'm', 10)).task_id a,
         (start_generation('00000000-0000-0000-0000-00000000009a', 'enhance', 'wavespeed', 'm', 10)).task_id b,
         (start_generation('00000000-0000-0000-0000-00000000009a', 'enhance', 'wavespeed', 'm', 10)).task_id c;
select complete_generation((select a from t));
select fail_generation((select b from t), 'x');
select is_empty($$ select * from verify_ledger() $$, 'a ledger written by the functions is sound');

-- A balance moved without a ledger row.
alter table user_credits disable trigger all;
update user_credits set credits = credits + 5, purchased_credits = purchased_credits + 5
 where user_id = '00000000-0000-0000-0000-00000000009a';
select results_eq($$ select invariant, user_id from verify_ledger() $$,
  $$ values ('balance_mismatch', '00000000-0000-0000-0000-00000000009a'::uuid) $$, 'a balance changed outside the ledger is found');
update user_credits set credits = credits - 5, purchased_credits = purchased_credits - 5
 where user_id = '00000000-0000-0000-0000-00000000009a';

-- A refund on a completed task (and the balance that came with it).
insert into credit_transactions (user_id, amount, type, task_id, origin)
values ('00000000-0000-0000-0000-00000000009a', 10, 'refund', (select a from t), 'rpc');
update user_credits set credits = credits + 10, purchased_credits = purchased_credits + 10
 where user_id = '00000000-0000-0000-0000-00000000009a';
select results_eq($$ select invariant, task_id from verify_ledger() $$,
  $$ values ('refund_not_failed', (select a from t)), ('settlement_mismatch', (select a from t)) $$,
  'a refund on a completed task that is no settlement is found (and matches no settlement)');
delete from credit_transactions where task_id = (select a from t) and type = 'refund';
update user_credits set credits = credits - 10, purchased_credits = purchased_credits - 10
 where user_id = '00000000-0000-0000-0000-00000000009a';

-- A failed task of the package without its refund.
update enhancement_tasks set status = 'failed', failure_source = 'callback', completed_at = now() where id = (select c from t);
select results_eq($$ select invariant, task_id from verify_ledger() $$,
  $$ values ('missing_refund', (select c from t)) $$, 'a failure without refund is found');
update enhancement_tasks set origin = 'legacy' where id = (select c from t);
select is_empty($$ select * from verify_ledger() $$, 'a legacy failure is not a violation (monitoring.missing_refunds lists it)');
update enhancement_tasks set origin = 'rpc', status = 'pending', failure_source = null, completed_at = null where id = (select c from t);

-- A charge that differs from the task's price.
update enhancement_tasks set credits_used = 11 where id = (select c from t);
select results_eq($$ select invariant, task_id from verify_ledger() $$,
  $$ values ('charge_mismatch', (select c from t)) $$, 'a charge that differs from credits_used is found');
update enhancement_tasks set credits_used = 10 where id = (select c from t);

-- Ledger rows of a user without an account.
insert into credit_transactions (user_id, amount, type, origin) values ('00000000-0000-0000-0000-0000000000ee', 3, 'adjustment', 'rpc');
select results_eq($$ select invariant, user_id from verify_ledger() $$,
  $$ values ('ledger_without_account', '00000000-0000-0000-0000-0000000000ee'::uuid) $$, 'ledger rows without an account are found');
delete from credit_transactions where user_id = '00000000-0000-0000-0000-0000000000ee';

select is_empty($$ select * from verify_ledger() $$, 'sound again once repaired');

-- The promotional bucket (the test runs in one transaction, so now() stands still: a lot
-- "expires" by moving its date back): one lot expired by the job, one live and spent from.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f4', 'basic');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f4', 40, '1 day', 'due', 'j-1');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f4', 7, '3 days', 'later', 'j-2');
update credits_private.promotional_lots set expires_at = now() - interval '1 second'
 where user_id = '00000000-0000-0000-0000-0000000000f4' and reason = 'due';
select expire_promotional_credits();
select start_generation('00000000-0000-0000-0000-0000000000f4', 'enhance', 'wavespeed', 'm', 2);
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

-- verify_ledger proves the new bucket: a lot and its account that disagree are reported.
update credits_private.promotional_lots set remaining = remaining - 1 where user_id = '00000000-0000-0000-0000-0000000000f4' and expired_at is null;
select results_eq($$ select invariant from verify_ledger() $$, $$ values ('promotional_mismatch') $$,
  'a lot that lost a credit outside the ledger is reported');
update credits_private.promotional_lots set remaining = remaining + 1 where user_id = '00000000-0000-0000-0000-0000000000f4' and expired_at is null;
update credits_private.promotional_lots set remaining = 3 where user_id = '00000000-0000-0000-0000-0000000000f4' and reason = 'due';
select results_eq($$ select invariant, detail ~ 'expired at .* with 3 credits left' from verify_ledger() $$,
  $$ values ('promotional_mismatch', true) $$, 'so is an expired lot that still holds credits');
update credits_private.promotional_lots set remaining = 0 where user_id = '00000000-0000-0000-0000-0000000000f4' and reason = 'due';
insert into credits_private.promotional_spends (task_id, lot_id, credits)
  select gen_random_uuid(), id, 2 from credits_private.promotional_lots where user_id = '00000000-0000-0000-0000-0000000000f4' and reason = 'later';
select results_eq($$ select invariant, detail from verify_ledger() $$,
  $$ values ('promotional_spend_mismatch', '2 credits spent from lots by no charge') $$, 'and a spend that belongs to no charge');
delete from credits_private.promotional_spends where task_id not in (select id from enhancement_tasks);

set local role credits_analyst;
select lives_ok($$ select * from verify_ledger() $$, 'an analyst may verify the ledger');
reset role;

select * from finish(true);
rollback;
