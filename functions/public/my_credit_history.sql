-- my_credit_history: credit_history for the calling end user (the JWT claim 'sub'), with the
-- columns a user should see: no description (written by operators and the legacy application)
-- and no origin (contract §8); settlement says whether a 'refund' row gave back the part of a
-- hold the generation did not use (contract §11) rather than a failure's charge.
-- Result: id, created_at, type, amount, monthly_amount, balance_after, period_start, task_id,
-- promotional_amount, settlement, debt_amount (the part of amount that repaid, positive, or
-- created, negative, a debt: contract §13), kind (the type, but 'promotional_grant' for a
-- promotional grant, whose type stays 'adjustment').
-- Errors: 42501 when the request carries no user id, CR003 (p_limit outside 1..1000, p_before not
-- one of the user's rows).
-- Never null: id, created_at, type, amount, monthly_amount, promotional_amount, settlement, debt_amount, kind.
-- SECURITY DEFINER: end users read their own rows through it; the user id comes only from the JWT.
create or replace function public.my_credit_history(p_before uuid default null, p_limit integer default 50)
returns table (
  id uuid,
  created_at timestamptz,
  type text,
  amount bigint,
  monthly_amount bigint,
  balance_after bigint,
  period_start date,
  task_id uuid,
  promotional_amount bigint,
  settlement boolean,
  debt_amount bigint,
  kind text
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  return query
    select h.id, h.created_at, h.type, h.amount, h.monthly_amount, h.balance_after, h.period_start, h.task_id,
           h.promotional_amount, h.origin = 'settlement', coalesce(h.debt_amount, 0),
           -- as my_credit_transactions says it
           case when h.type = 'adjustment' and (h.promotional_amount > 0 or h.debt_amount > 0) then 'promotional_grant'
                else h.type end
      from credits_private.history_of(credits_private.jwt_user(), p_before, p_limit) h;
end;
$$;

comment on function public.my_credit_history(uuid, integer) is
  'The calling end user''s ledger rows, newest first, a page at a time.';
revoke all on function public.my_credit_history(uuid, integer) from public, anon, authenticated;
grant execute on function public.my_credit_history(uuid, integer) to authenticated;
