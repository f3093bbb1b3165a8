-- Up Migration
-- Closed periods (issue 30). close_ledger (the daily job) closes the ledger up to a UTC midnight:
-- each account the period changed gets its balance as the ledger has it at that instant, the
-- last checkpoint plus the period's rows, proven before it is recorded. verify_open_period then
-- proves what changed since (the open period's rows and the accounts and tasks they touch)
-- against the checkpoint, reading the open period's rows rather than the whole history;
-- verify_ledger stays the full proof.
-- 1. credits_private.ledger_closings: one row per closing, its instant (closed_through: every
--    ledger row before it is closed) and what it read.
-- 2. credits_private.closed_balances: one row per account, as of the last closing that changed
--    it: the sums of its ledger rows before that instant (Σ amount, the monthly and promotional
--    parts, the debt -Σ debt_amount) and how many rows they are.
-- 3. A closed row is write-protected: triggers refuse UPDATE and DELETE of a ledger row before
--    the last closing, an UPDATE moving a row before it, and TRUNCATE once closed (CR005). The hot path only inserts, so it never fires there; inserts are
--    stamped now(), and close_ledger closes no instant a transaction still open may stamp.
create table credits_private.ledger_closings (
  closed_through timestamptz primary key,
  closed_at timestamptz not null default clock_timestamp(),
  ledger_rows bigint not null,
  accounts bigint not null
);
comment on table credits_private.ledger_closings is
  'Each closing of the ledger: every row before closed_through is closed (write-protected, summed in closed_balances).';

create table credits_private.closed_balances (
  user_id uuid primary key,
  closed_through timestamptz not null,
  ledger_sum bigint not null,
  monthly_credits bigint not null,
  promotional_credits bigint not null,
  debt_credits bigint not null,
  ledger_rows bigint not null
);
comment on table credits_private.closed_balances is
  'Each account''s ledger as of the last closing that changed it: Σ amount (credits - debt), its monthly and promotional parts, the debt.';

-- 4. credits_private.ledger_violation: a row of the proof, what credits_private.ledger_violations
--    returns to verify_ledger and verify_open_period.
create type credits_private.ledger_violation as (invariant text, user_id uuid, task_id uuid, detail text);

-- The trigger's function, as functions/credits_private/refuse_closed_change.sql has it (the deploy
-- adopts it unchanged; it is created here because the trigger needs it).
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
revoke all on function credits_private.refuse_closed_change() from public;

create trigger credit_transactions_closed
  before update or delete on public.credit_transactions
  for each row execute function credits_private.refuse_closed_change();
create trigger credit_transactions_closed_truncate
  before truncate on public.credit_transactions
  for each statement execute function credits_private.refuse_closed_change();

-- 5. The ledger's and the tasks' BRIN indexes on created_at summarise each block range as soon as
--    the next one fills (autosummarize), rather than at the next vacuum: an unsummarised range
--    matches every query, so the daily proof's read of the open period stays a read of its own
--    ranges between vacuums.
alter index public.credit_transactions_created_at_brin set (autosummarize = on);
alter index public.enhancement_tasks_created_at_brin set (autosummarize = on);

-- Down Migration
-- The deploy drops every definition before migrations run down (not the trigger's function: the
-- trigger needs it; dropped here). The closings and the checkpoints are kept in archive (the next
-- up does not bring them back: a closing is redone by close_ledger from the rows, which stay).
create schema if not exists archive;
-- Added to what an earlier roll-back kept.
create table if not exists archive.m0033_ledger_closings (like credits_private.ledger_closings);
create table if not exists archive.m0033_closed_balances (like credits_private.closed_balances);
insert into archive.m0033_ledger_closings select * from credits_private.ledger_closings;
insert into archive.m0033_closed_balances select * from credits_private.closed_balances;
alter index public.credit_transactions_created_at_brin reset (autosummarize);
alter index public.enhancement_tasks_created_at_brin reset (autosummarize);
drop trigger credit_transactions_closed on public.credit_transactions;
drop trigger credit_transactions_closed_truncate on public.credit_transactions;
drop function credits_private.refuse_closed_change();
drop table credits_private.closed_balances, credits_private.ledger_closings;
drop type credits_private.ledger_violation;
