-- backfill_missing_refunds: refunds the legacy failures that were charged and never refunded,
-- a dry run by default, in batches, once each (and the monitoring audit that lists them).
begin;
set local search_path to public, tap;
select plan(18);

-- A legacy failure (before adoption): charged, never refunded.
insert into user_credits (user_id, credits, purchased_credits) values ('00000000-0000-0000-0000-0000000000b1', 4, 4);
insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, error_message, origin, completed_at)
values ('00000000-0000-0000-0000-00000000b1f1', '00000000-0000-0000-0000-0000000000b1', 'enhance', 'wavespeed', 'failed', 6, 'oom', 'legacy', now() - interval '3 days');
insert into credit_transactions (user_id, amount, type, task_id, origin)
values ('00000000-0000-0000-0000-0000000000b1', 10, 'purchase', null, 'legacy'),
       ('00000000-0000-0000-0000-0000000000b1', -6, 'usage', '00000000-0000-0000-0000-00000000b1f1', 'legacy');

-- Another legacy account, never allocated (period_start null), 14 credits used this month: a
-- refund cannot tell which period its charge belonged to, so it must not lower that counter.
insert into user_credits (user_id, credits, purchased_credits, credits_used_this_month)
values ('00000000-0000-0000-0000-0000000000b2', 0, 0, 14);
insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, error_message, origin, completed_at)
values ('00000000-0000-0000-0000-00000000b2f1', '00000000-0000-0000-0000-0000000000b2', 'enhance', 'wavespeed', 'failed', 14, 'oom', 'legacy', now() - interval '2 days');
insert into credit_transactions (user_id, amount, type, task_id, origin)
values ('00000000-0000-0000-0000-0000000000b2', 14, 'purchase', null, 'legacy'),
       ('00000000-0000-0000-0000-0000000000b2', -14, 'usage', '00000000-0000-0000-0000-00000000b2f1', 'legacy');

select results_eq($$ select task_id, credits, error_message from monitoring.missing_refunds where user_id = '00000000-0000-0000-0000-0000000000b1' $$,
  $$ values ('00000000-0000-0000-0000-00000000b1f1'::uuid, 6::bigint, 'oom') $$, 'the audit lists the unrefunded legacy failure');
select results_eq($$ select tasks, credits_owed from monitoring.missing_refunds_by_user where user_id = '00000000-0000-0000-0000-0000000000b1' $$,
  $$ values (1::bigint, 6::bigint) $$, 'and sums it per user');
select is_empty($$ select * from verify_ledger() $$, 'a legacy failure is not a ledger violation');

select results_eq($$ select task_id, credits, refunded from backfill_missing_refunds() order by task_id $$,
  $$ values ('00000000-0000-0000-0000-00000000b1f1'::uuid, 6::bigint, false), ('00000000-0000-0000-0000-00000000b2f1'::uuid, 14, false) $$,
  'the dry run (the default) lists them');
select is((select count(*)::int from credit_transactions where type = 'refund'), 0, 'the dry run writes nothing');
select results_eq($$ select task_id from backfill_missing_refunds(p_limit => 1) $$,
  $$ values ('00000000-0000-0000-0000-00000000b1f1'::uuid) $$, 'p_limit takes the first tasks in id order');
select results_eq($$ select task_id from backfill_missing_refunds(p_after => '00000000-0000-0000-0000-00000000b1f1') $$,
  $$ values ('00000000-0000-0000-0000-00000000b2f1'::uuid) $$, 'p_after continues after a task id');
select throws_ok($$ select * from backfill_missing_refunds(true, 0) $$, 'CR003', 'p_limit must be at least 1', 'a batch of no task is CR003');

select results_eq($$ select credits, refunded, balance from backfill_missing_refunds(false, 1) $$,
  $$ values (6::bigint, true, 10::bigint) $$, 'a real batch refunds its tasks');
select results_eq($$ select credits, refunded, balance from backfill_missing_refunds(false, p_after => '00000000-0000-0000-0000-00000000b1f1') $$,
  $$ values (14::bigint, true, 14::bigint) $$, 'and the next batch the rest');
select results_eq($$ select amount, origin from credit_transactions where type = 'refund' order by amount $$,
  $$ values (6::bigint, 'backfill'), (14, 'backfill') $$, 'as refund rows marked backfill');
select results_eq($$ select credits, purchased_credits, credits_used_this_month from user_credits where user_id = '00000000-0000-0000-0000-0000000000b2' $$,
  $$ values (14::bigint, 14::bigint, 14::bigint) $$, 'a refund of a charge of no known period leaves usage this month alone');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound after the backfill');
select is_empty($$ select * from backfill_missing_refunds(false) $$, 'a second run refunds nothing');
select is_empty($$ select * from credits_private.missing_refunds $$, 'the ledger has no missing refund left');
select is_empty($$ select * from monitoring.missing_refunds $$, 'the audit is empty afterwards');
select throws_ok($$ select * from backfill_missing_refunds(null) $$, 'CR003', null, 'a null dry-run flag is CR003');

set local role authenticated;
select throws_ok($$ select * from monitoring.missing_refunds $$, '42501', null, 'end users cannot read the audit');
reset role;

select * from finish(true);
rollback;
