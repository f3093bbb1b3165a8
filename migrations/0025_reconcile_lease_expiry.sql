-- Up Migration
-- Reconciliation leases end when their holder said (issue 22): a lease row kept only when it
-- was taken, and each claim judged it by its own p_lease, so a claim asking for a 1-second lease
-- took a task another run had leased for an hour, and a claim with a long lease skipped a task
-- whose 1-second lease was long over. Each row now says until when it holds. Rows already there
-- get the function's default lease (2 minutes): at worst a task is asked about again a little
-- early, which is harmless (a result applies once).
alter table credits_private.reconcile_leases add column leased_until timestamptz;
update credits_private.reconcile_leases set leased_until = taken_at + interval '2 minutes';
alter table credits_private.reconcile_leases alter column leased_until set not null;
comment on column credits_private.reconcile_leases.leased_until is
  'Until when the reconciliation that took the task holds it (taken_at + its p_lease).';

-- Down Migration
-- The rows stay; only when each lease ends is forgotten (claims judge by their own p_lease again).
alter table credits_private.reconcile_leases drop column leased_until;
