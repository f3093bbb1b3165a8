-- verify_ledger finds each kind of violation, planted by hand behind the functions' backs.
begin;
set local search_path to public, tap;
select plan(9);

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
  $$ values ('refund_not_failed', (select a from t)) $$, 'a refund on a completed task is found');
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

set local role credits_analyst;
select lives_ok($$ select * from verify_ledger() $$, 'an analyst may verify the ledger');
reset role;

select * from finish(true);
rollback;
