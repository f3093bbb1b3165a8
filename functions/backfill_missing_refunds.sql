-- backfill_missing_refunds: repays every historical failed task that charged credits and was
-- never refunded (monitoring.missing_refunds). The dry run (the default) returns what would be
-- refunded and writes nothing; the real run refunds each task exactly once, as a 'refund' row
-- with origin 'backfill', in one transaction. A second run refunds nothing; concurrent runs
-- share the work. For very large sets, `credits refunds backfill --apply` does the same in
-- batches, with progress.
-- Result: task_id, user_id, credits, failed_at, error_message, refunded, balance.
-- Never null: task_id, user_id, credits, refunded.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.backfill_missing_refunds(p_dry_run boolean default true)
returns table (
  task_id uuid,
  user_id uuid,
  credits bigint,
  failed_at timestamptz,
  error_message text,
  refunded boolean,
  balance bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_dry_run', p_dry_run);
  -- The real run lists what it refunded (not the tasks another run repaid meanwhile).
  return query select b.* from credits_private.backfill_refunds(p_dry_run, null) b
                where p_dry_run or b.refunded;
end;
$$;

comment on function public.backfill_missing_refunds(boolean) is
  'Refunds every historical failed task that charged credits and has no refund (dry run by default).';
revoke all on function public.backfill_missing_refunds(boolean) from public, anon, authenticated;
grant execute on function public.backfill_missing_refunds(boolean) to credits_service;
