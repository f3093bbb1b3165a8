-- missing_refunds: the ledger's definition of a missing refund: a failed task inherited from
-- before adoption that charged credits and has no refund row. backfill_missing_refunds repays
-- these; monitoring.missing_refunds shows them to analysts. A task the package ran is refunded
-- in the transaction that fails it: one that was not is a ledger violation, reported by
-- verify_ledger() as missing_refund. Tasks in id order reach enhancement_tasks_legacy_idx.
create or replace view credits_private.missing_refunds as
select t.user_id,
       t.id as task_id,
       t.charged as credits,
       coalesce(t.completed_at, t.updated_at) as failed_at,
       t.error_message,
       t.provider,
       t.task_type,
       t.origin
  from credits_private.task_credits t
 where t.status = 'failed' and t.origin = 'legacy' and t.charged > 0 and t.refunded is null;

comment on view credits_private.missing_refunds is
  'Failed tasks inherited from before adoption that charged credits and have no refund.';
revoke all on credits_private.missing_refunds from public;
