-- repay_debt: credits come in to an account (a purchase, an allocation, a top-up, a refund, a
-- promotional grant): while it is in debt (credits_private.account_debts), they repay it first
-- (contract §13). Lowers the debt by up to p_credits and returns how much it repaid (0: no
-- debt); the caller keeps the rest in its bucket and writes the repaid part as its ledger row's
-- debt_amount. The caller holds the account's row lock (every writer of a debt does).
create or replace function credits_private.repay_debt(p_user_id uuid, p_credits bigint)
returns bigint
language sql
volatile
set search_path to pg_catalog, pg_temp
as $$
  with owed as (
    select d.user_id, least(d.debt_credits, p_credits) as repaid
      from credits_private.account_debts d
     where d.user_id = p_user_id and d.debt_credits > 0 and p_credits > 0
  ), paid as (
    update credits_private.account_debts d
       set debt_credits = d.debt_credits - o.repaid, updated_at = now()
      from owed o
     where d.user_id = o.user_id
    returning o.repaid
  )
  select coalesce((select p.repaid from paid p), 0::bigint);
$$;

comment on function credits_private.repay_debt(uuid, bigint) is
  'Repays an account''s debt from credits coming in; returns the part repaid.';
revoke all on function credits_private.repay_debt(uuid, bigint) from public;
