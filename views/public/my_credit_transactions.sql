-- my_credit_transactions: the calling end user's ledger rows, with the columns a user should see
-- and none of the platform's internals: no upstream cost, idempotency key, free-text
-- description (written by operators and the legacy application, it may name internal reasons
-- or costs), legacy type or origin (contract §8, v1.2). End users hold SELECT on exactly these
-- columns of credit_transactions; this view serves PostgREST's select=*, which a table with
-- column privileges refuses. security_invoker: row-level security applies to the caller.
-- kind: the row's type, but 'promotional_grant' for a promotional grant (contract §13: its type
-- stays 'adjustment'; the same rule as credit_statement's promoted).
-- Never null: id, user_id, amount, type, monthly_amount, created_at, promotional_amount, debt_amount, kind.
create or replace view public.my_credit_transactions with (security_invoker = true) as
select c.id, c.user_id, c.amount, c.type, c.task_id, c.provider, c.monthly_amount, c.balance_after,
       c.period_start, c.created_at, c.promotional_amount, coalesce(c.debt_amount, 0) as debt_amount,
       -- a promotional grant is an 'adjustment' in the ledger; end users see it as a grant (§13)
       case when c.type = 'adjustment' and (c.promotional_amount > 0 or c.debt_amount > 0) then 'promotional_grant'
            else c.type end as kind
  from public.credit_transactions c;
comment on view public.my_credit_transactions is 'The calling end user''s ledger rows (row-level security), user-facing columns only.';
revoke all on public.my_credit_transactions from public, anon, authenticated;
grant select on public.my_credit_transactions to authenticated;
