-- my_team_balances: the teams the calling end user belongs to (contract §12), each with the
-- team's balance (its spendable total, as get_credit_balance reports it), what the caller spent
-- of it today (UTC) and their daily cap, and what the team owes (debt_credits, contract §13: a
-- team in debt can start nothing until credits come in); nothing else of a team (other members and their
-- generations stay invisible). The user id is the JWT's.
-- Result: team_id, balance, spent_today, daily_credit_limit (null: no cap of their own),
-- debt_credits; by team_id.
-- Never null: team_id, balance, spent_today, debt_credits.
-- SECURITY DEFINER: end users read their memberships without any privilege on the tables.
create or replace function public.my_team_balances()
returns table (team_id uuid, balance bigint, spent_today bigint, daily_credit_limit integer, debt_credits bigint)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  -- read once, not in the query: a planner estimating the filter would call it (42501 without a JWT)
  v_user uuid := credits_private.jwt_user();
begin
  return query
    select m.team_id, b.total_credits,
           case when m.spent_today_until > now() then m.spent_today else 0 end,
           m.daily_credit_limit, b.debt_credits
      from credits_private.team_members m
     cross join lateral credits_private.balance_of(m.team_id) b
     where m.user_id = v_user and m.removed_at is null
     order by m.team_id;
end;
$$;

comment on function public.my_team_balances() is
  'The caller''s teams: each team''s balance, the caller''s spend today and daily cap.';
revoke all on function public.my_team_balances() from public, anon, authenticated;
grant execute on function public.my_team_balances() to authenticated;
