-- missing_refunds: the refund audit: failed tasks inherited from before adoption that charged
-- credits and were never refunded, until backfill_missing_refunds repays them. The definition is
-- the ledger's (credits_private.missing_refunds); this view shows it to analysts.
-- Never null: user_id, task_id, credits.
create or replace view monitoring.missing_refunds as
select m.user_id, m.task_id, m.credits, m.failed_at, m.error_message, m.provider, m.task_type, m.origin
  from credits_private.missing_refunds m;

comment on view monitoring.missing_refunds is
  'Failed tasks inherited from before adoption that charged credits and have no refund.';
revoke all on monitoring.missing_refunds from public;
grant select on monitoring.missing_refunds to credits_analyst;
