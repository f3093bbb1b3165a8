-- verify_ledger: checks the invariants of contract §5 over the whole ledger and returns one row
-- per violation (no rows: the ledger is sound). It reads every ledger row: run it from
-- monitoring jobs, not per request; the daily job proves what changed since the last closing
-- instead (verify_open_period). The query is credits_private.ledger_violations'.
--   balance_mismatch       credits <> monthly + purchased + promotional, or credits - debt or a
--                          bucket differs from the sum of the account's ledger rows (contract §13:
--                          credits - debt_credits = Σ amount)
--   checkpoint_mismatch    a closing's checkpoint (close_ledger) is not what the account's rows
--                          before the last closing add up to, or such rows have no checkpoint;
--                          or a month edge's (credits_private.month_balances) is not what they add
--                          up to before that edge
--   negative_balance       a balance, bucket, debt or usage counter below zero
--   debt_mismatch          an account's debt differs from what its rows' debt parts created less
--                          what they repaid (-Σ debt_amount), or it is in debt while holding
--                          credits (every credit that comes in repays debt first), or a row's
--                          debt part is not within its amount (of its sign, at most all of it)
--   promotional_mismatch   promotional credits differ from what the account's live lots hold,
--                          or an expired lot still holds credits
--   promotional_spend_mismatch
--                          a charge's promotional part differs from the lots it spent, its
--                          refund gave back more promotional credits than it took, it spent a
--                          lot of another account, or a spend belongs to no charge
--   ledger_without_account ledger rows whose user has no account
--   duplicate_charge       a task with more than one 'usage' row
--   duplicate_refund       a task with more than one 'refund' row
--   refund_not_failed      a refunded task that is not 'failed', unless the refund is the
--                          settlement of a completed task (contract §11); a settlement on a
--                          failed task
--   missing_refund         a failed task charged through start_generation with no refund
--   refund_mismatch        a failed task charged through start_generation whose refund is not
--                          its whole charge
--   settlement_mismatch    a completed task charged through start_generation whose refund is not
--                          its charge less credits_final (credits_settled_back), or that has a
--                          refund although it used its whole hold; credits_settled_back on a
--                          task not completed, or outside 1..its credits_used
--   charge_mismatch        a task charged by start_generation for other than its credits_used
--   team_mismatch          a team's generation (contract §12) charged or refunded to another
--                          account than its team, or whose rows name another member than its
--                          user; rows naming a member on an account that is no team
-- Failures inherited from before adoption are not violations: monitoring.missing_refunds lists
-- them until backfill_missing_refunds repays them.
-- Never null: invariant, detail.
-- SECURITY DEFINER: analysts verify the ledger without reading the raw tables.
create or replace function public.verify_ledger()
returns table (invariant text, user_id uuid, task_id uuid, detail text)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
  select * from credits_private.ledger_violations(null);
$$;

comment on function public.verify_ledger() is
  'One row per violated ledger invariant (contract §5); no rows when the ledger is sound.';
revoke all on function public.verify_ledger() from public, anon, authenticated;
grant execute on function public.verify_ledger() to credits_service, credits_analyst;
