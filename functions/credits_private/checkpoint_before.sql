-- checkpoint_before: where an account's ledger sums can start from for an instant: the latest
-- checkpoint at or before p_at (credits_private.month_balances at a month edge, or
-- closed_balances at the last closing), whose sums cover every row of the account before `at`.
-- Without one: at = -infinity and zeros (sum every row). credit_balance_at and the statements add
-- the rows from `at` on: at most about a month's, however long the history.
create or replace function credits_private.checkpoint_before(p_user_id uuid, p_at timestamptz)
returns table (at timestamptz, ledger_sum bigint, monthly_credits bigint, promotional_credits bigint, debt_credits bigint)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select x.at, x.ledger_sum, x.monthly_credits, x.promotional_credits, x.debt_credits
    from (select m.at, m.ledger_sum, m.monthly_credits, m.promotional_credits, m.debt_credits
            from (select * from credits_private.month_balances m
                   where m.user_id = p_user_id and m.at <= p_at order by m.at desc limit 1) m
          union all
          select b.closed_through, b.ledger_sum, b.monthly_credits, b.promotional_credits, b.debt_credits
            from credits_private.closed_balances b
           where b.user_id = p_user_id and b.closed_through <= p_at
          union all
          select '-infinity', 0, 0, 0, 0) x
   order by x.at desc
   limit 1
$$;

comment on function credits_private.checkpoint_before(uuid, timestamptz) is
  'The latest proven checkpoint of an account''s ledger sums at or before an instant (or none: -infinity, zeros).';
revoke all on function credits_private.checkpoint_before(uuid, timestamptz) from public;
