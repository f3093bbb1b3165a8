-- refuse_closed_change: the triggers that write-protect closed ledger rows (issue 30): an UPDATE
-- or DELETE of a credit_transactions row written before the last closing (close_ledger), an
-- UPDATE moving a row before it, and a TRUNCATE once the ledger has been closed are refused, so
-- the checkpoints in credits_private.closed_balances stay what the rows add up to.
-- Created by migration 0033 with the trigger; this file is what the deploy applies. The hot path
-- only inserts ledger rows: it never fires there.
-- Errors: CR005 (DETAIL: the row, when it was written, the instant the ledger is closed through).
create or replace function credits_private.refuse_closed_change()
returns trigger
language plpgsql
set search_path to pg_catalog, pg_temp
as $$
declare
  v_closed timestamptz := (select max(c.closed_through) from credits_private.ledger_closings c);
begin
  if tg_op = 'TRUNCATE' and v_closed is not null then
    raise exception using errcode = 'CR005',
      message = 'the ledger has closed periods: it cannot be truncated',
      detail = format('The ledger is closed through %s.', v_closed),
      hint = 'Closed rows never leave the ledger (retention archives whole periods).';
  end if;
  if tg_op = 'TRUNCATE' then
    return null;
  end if;
  if old.created_at < v_closed or (tg_op = 'UPDATE' and new.created_at < v_closed) then
    raise exception using errcode = 'CR005',
      message = 'ledger row in a closed period',
      detail = format('Row %s of %s was written at %s; the ledger is closed through %s.', old.id, old.user_id,
                      old.created_at, v_closed),
      hint = 'A closed row never changes: write a new row (an adjustment) in the open period instead.';
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;

comment on function credits_private.refuse_closed_change() is
  'Trigger: refuses to change or delete a ledger row of a closed period (CR005).';
revoke all on function credits_private.refuse_closed_change() from public;
