-- team_member_statement: what one member's generations cost a team in one calendar month (UTC;
-- default: this month), for a team's billing page (contract §12: a team's statements read per
-- member): the team's ledger rows naming the member (credits_private.statement_of with a member),
-- so used - refunded - settled is what the member spent of the team's credits in the month, and
-- the team's credit_statement is the sum of its members' and its own rows. Works for a member
-- removed since (their rows keep naming them).
-- Result: team_id, user_id, period_start, period_end, used (what the month's generations finally
-- cost), refunded (failures' refunds), settled (settlements of an earlier month's generations),
-- generations (charges in the month), transactions (rows in the month).
-- Errors: CR003 invalid argument (a null id; p_period_start not the first day of a month that has
-- begun in UTC). A team or member without rows gets zeros.
-- Never null: team_id, user_id, period_start, period_end, used, refunded, settled, generations, transactions.
-- SECURITY DEFINER: the service role reads the ledger without any privilege on the tables.
create or replace function public.team_member_statement(
  p_team_id uuid,
  p_user_id uuid,
  p_period_start date default date_trunc('month', now() at time zone 'UTC')::date,
  out team_id uuid,
  out user_id uuid,
  out period_start date,
  out period_end date,
  out used bigint,
  out refunded bigint,
  out settled bigint,
  out generations integer,
  out transactions integer
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
declare
  s public.period_statement;
begin
  perform credits_private.require_present('p_team_id', p_team_id);
  perform credits_private.require_present('p_user_id', p_user_id);
  s := credits_private.statement_of(p_team_id, p_period_start, p_user_id);
  team_id := p_team_id;
  user_id := p_user_id;
  period_start := s.period_start;
  period_end := s.period_end;
  used := s.used;
  refunded := s.refunded;
  settled := s.settled;
  transactions := s.transactions;
  select count(*)::integer into generations
    from public.credit_transactions c
   where c.user_id = p_team_id and c.member_id = p_user_id and c.type = 'usage'
     and c.created_at >= p_period_start::timestamp at time zone 'UTC'
     and c.created_at < s.period_end::timestamp at time zone 'UTC';
end;
$$;

comment on function public.team_member_statement(uuid, uuid, date) is
  'What one member''s generations cost a team in a UTC month: used, refunded, settled, generations.';
revoke all on function public.team_member_statement(uuid, uuid, date) from public, anon, authenticated;
grant execute on function public.team_member_statement(uuid, uuid, date) to credits_service;
