begin;
set local search_path to public, tap;
select plan(11);

-- A legacy failure (before adoption): charged, never refunded.
insert into user_credits (user_id, credits, purchased_credits) values ('00000000-0000-0000-0000-0000000000b1', 4, 4);
insert into enhancement_tasks (id, user_id, task_type, provider, status, credits_used, error_message, origin, completed_at)
values ('00000000-0000-0000-0000-00000000b1f1', '00000000-0000-0000-0000-0000000000b1', 'enhance', 'wavespeed', 'failed', 6, 'oom', 'legacy', now() - interval '3 days');
insert into credit_transactions (user_id, amount, type, task_id, origin)
values ('00000000-0000-0000-0000-0000000000b1', 10, 'purchase', null, 'legacy'),
       ('00000000-0000-0000-0000-0000000000b1', -6, 'usage', '00000000-0000-0000-0000-00000000b1f1', 'legacy');

select results_eq($$ select task_id, credits, error_message from monitoring.missing_refunds $$,
  $$ values ('00000000-0000-0000-0000-00000000b1f1'::uuid, 6, 'oom') $$, 'the audit lists the unrefunded legacy failure');
select results_eq($$ select tasks, credits_owed from monitoring.missing_refunds_by_user $$,
  $$ values (1::bigint, 6::bigint) $$, 'and sums it per user');
select is_empty($$ select * from verify_ledger() $$, 'a legacy failure is not a ledger violation');

select results_eq($$ select task_id, credits, refunded from backfill_missing_refunds() $$,
  $$ values ('00000000-0000-0000-0000-00000000b1f1'::uuid, 6, false) $$, 'the dry run (the default) lists it');
select is((select count(*)::int from credit_transactions where type = 'refund'), 0, 'the dry run writes nothing');

select results_eq($$ select credits, refunded, balance from backfill_missing_refunds(false) $$,
  $$ values (6, true, 10) $$, 'the real run refunds it');
select results_eq($$ select amount, origin from credit_transactions where type = 'refund' $$,
  $$ values (6, 'backfill') $$, 'as a refund row marked backfill');
select is_empty($$ select * from backfill_missing_refunds(false) $$, 'a second run refunds nothing');
select is_empty($$ select * from monitoring.missing_refunds $$, 'the audit is empty afterwards');
select throws_ok($$ select * from backfill_missing_refunds(null) $$, 'CR003', null, 'a null dry-run flag is CR003');

set local role authenticated;
select throws_ok($$ select * from monitoring.missing_refunds $$, '42501', null, 'end users cannot read the audit');
reset role;

select * from finish(true);
rollback;
