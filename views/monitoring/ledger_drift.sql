-- ledger_drift: every violated ledger invariant (verify_ledger()). A full check that reads the
-- whole ledger: seconds at millions of rows, for a daily job rather than a dashboard poll.
-- Never null: invariant, detail.
create or replace view monitoring.ledger_drift as
select v.invariant, v.user_id, v.task_id, v.detail from public.verify_ledger() v;

comment on view monitoring.ledger_drift is 'Violated ledger invariants; no rows when the ledger is sound (a full check).';
revoke all on monitoring.ledger_drift from public;
grant select on monitoring.ledger_drift to credits_analyst;
