-- missing_refunds: failed tasks inherited from before adoption that charged credits and were
-- never refunded (the refund audit), until backfill_missing_refunds repays them. A task the
-- package ran is refunded in the transaction that fails it; one that was not would be a ledger
-- violation, reported by verify_ledger() as missing_refund.
-- Never null: user_id, task_id, credits.
create or replace view monitoring.missing_refunds as
select t.user_id,
       t.id as task_id,
       -c.amount as credits,
       coalesce(t.completed_at, t.updated_at) as failed_at,
       t.error_message,
       t.provider,
       t.task_type,
       t.origin
  from public.enhancement_tasks t
  join public.credit_transactions c on c.task_id = t.id and c.type = 'usage' and c.amount < 0
 where t.status = 'failed' and t.origin = 'legacy'
   and not exists (select 1 from public.credit_transactions r where r.task_id = t.id and r.type = 'refund');

comment on view monitoring.missing_refunds is
  'Failed tasks inherited from before adoption that charged credits and have no refund.';
revoke all on monitoring.missing_refunds from public;
grant select on monitoring.missing_refunds to credits_analyst;
