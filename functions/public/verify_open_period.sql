-- verify_open_period: the daily proof of the ledger (issue 30): verify_ledger's invariants for
-- what changed since the last closing (close_ledger), against its checkpoints. Each account's
-- sums are its checkpoint plus its rows since; the task checks read the tasks those rows touch,
-- or created since, with all of their rows. So it reads the open period's rows, not the whole
-- history, and its time follows a day's volume rather than the ledger's size. verify_ledger
-- stays the full proof (a weekly job, or after a repair). Before any closing it is the full proof.
-- Result: one row per violation, as verify_ledger's (no rows: sound).
-- Never null: invariant, detail.
-- SECURITY DEFINER: the service's daily job verifies the ledger without reading the raw tables
-- (analysts have verify_ledger, contract §8).
create or replace function public.verify_open_period()
returns table (invariant text, user_id uuid, task_id uuid, detail text)
language sql
stable
security definer
set search_path to pg_catalog, pg_temp
-- JIT would compile the proof's plan for seconds (its cost follows the tables' sizes, so it
-- grows with the history) to save less on the rows since the last closing
set jit to off
as $$
  select * from credits_private.ledger_violations((select max(c.closed_through) from credits_private.ledger_closings c));
$$;

comment on function public.verify_open_period() is
  'One row per violated ledger invariant in what changed since the last closing; no rows when sound.';
revoke all on function public.verify_open_period() from public, anon, authenticated;
grant execute on function public.verify_open_period() to credits_service;
