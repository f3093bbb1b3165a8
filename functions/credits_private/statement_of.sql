-- statement_of: an account's statement for one calendar month (UTC): the balance at its start,
-- what came in and went out during it by kind, and the balance at its end, each the sum of the
-- ledger rows created in the month (opening: of those created before it), so that
--   closing_balance - closing_debt = opening_balance - opening_debt + allocated + purchased
--                     + promoted - used + refunded + settled - expired + adjusted - revoked
-- holds by construction, and closing_balance and closing_debt are the account's after its last
-- row of the month (contract §13: credits - debt = Σ amount; each debt is -Σ debt_amount).
-- An account's sums start from its latest checkpoint at or before the month
-- (credits_private.checkpoint_before: a closing's month edge), so a statement reads about a
-- month's rows however long the history.
-- revoked: credits taken back ('revocation'), held ones and those that became debt alike.
-- allocated: the monthly allowance and upgrade top-ups ('allocation', 'tier_upgrade'); purchased:
-- grants ('purchase'); promoted: promotional grants (the 'adjustment' rows that granted
-- promotional credits, or repaid a debt with them: contract §13); used: what the month's generations finally cost: charges ('usage') less
-- the settlements of those charges made in the month (contract §11: a hold larger than the use
-- gives the rest back, a 'refund' row with origin 'settlement'); refunded: failures' refunds
-- (the other 'refund' rows); settled: settlements in the month of charges of an earlier month
-- (apart, so that used is never negative); expired: unused monthly
-- credits at a period's start and promotional lots past their date ('expiration'); adjusted: the
-- other 'adjustment' rows (legacy refunds of no charge, operators' corrections). An account whose
-- month has not started for it yet (its first write of the month, or the allocation, does it)
-- shows no allocation or expiration in it yet.
-- p_member_id: of a team's ledger, only the rows naming that member (its charges, refunds and
-- settlements: team_member_statement), so opening and closing are what the member's generations
-- took from the team before and by the end of the month (negative or 0); a member owes no debt
-- (0: what their refunds repaid of the team's is the team's).
-- Shared by credit_statement, my_credit_statement and team_member_statement.
-- Errors: CR003 when p_period_start is null, infinite, not the first day of a month, before 1970,
-- or a month that has not begun in UTC.
create or replace function credits_private.statement_of(p_user_id uuid, p_period_start date, p_member_id uuid default null)
returns public.period_statement
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
declare
  s public.period_statement;
  v_from timestamptz;
  v_to timestamptz;
  k record;  -- the checkpoint the sums start from
begin
  perform credits_private.require_period('p_period_start', p_period_start);
  s.period_start := p_period_start;
  s.period_end := (p_period_start + interval '1 month')::date;
  v_from := p_period_start::timestamp at time zone 'UTC';
  v_to := s.period_end::timestamp at time zone 'UTC';
  -- an account's statement starts from its latest checkpoint at or before the month (a member's
  -- share of a team's rows has none: every row)
  select x.* into k
    from credits_private.checkpoint_before(p_user_id, case when p_member_id is null then v_from else '-infinity' end) x;
  select coalesce(sum(c.amount) filter (where c.created_at < v_from), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.type in ('allocation', 'tier_upgrade')), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.type = 'purchase'), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.type = 'adjustment'
                                          and (c.promotional_amount > 0 or c.debt_amount > 0)), 0)::bigint,
         -- used: the charges, less every settlement of the month (the earlier months' added back below)
         coalesce(-sum(c.amount) filter (where c.created_at >= v_from and c.type = 'usage'), 0)::bigint
           - coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.origin = 'settlement'), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.type = 'refund' and c.origin <> 'settlement'), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.origin = 'settlement'
                                          and (select u.created_at from public.credit_transactions u
                                                where u.task_id = c.task_id and u.type = 'usage') < v_from), 0)::bigint,
         coalesce(-sum(c.amount) filter (where c.created_at >= v_from and c.type = 'expiration'), 0)::bigint,
         coalesce(sum(c.amount) filter (where c.created_at >= v_from and c.type = 'adjustment'
                                          and c.promotional_amount = 0 and c.debt_amount is null), 0)::bigint,
         coalesce(-sum(c.amount) filter (where c.created_at >= v_from and c.type = 'revocation'), 0)::bigint,
         coalesce(sum(c.amount), 0)::bigint,
         count(*) filter (where c.created_at >= v_from)::integer,
         coalesce(-sum(c.debt_amount) filter (where c.created_at < v_from), 0)::bigint,
         coalesce(-sum(c.debt_amount), 0)::bigint
    into s.opening_balance, s.allocated, s.purchased, s.promoted, s.used, s.refunded, s.settled, s.expired, s.adjusted,
         s.revoked, s.closing_balance, s.transactions, s.opening_debt, s.closing_debt
    from public.credit_transactions c
   where c.user_id = p_user_id and c.created_at >= k.at and c.created_at < v_to
     and (p_member_id is null or c.member_id = p_member_id);
  s.used := s.used + s.settled;
  s.opening_balance := s.opening_balance + k.ledger_sum;
  s.closing_balance := s.closing_balance + k.ledger_sum;
  s.opening_debt := s.opening_debt + k.debt_credits;
  s.closing_debt := s.closing_debt + k.debt_credits;
  if p_member_id is not null then
    s.opening_debt := 0;
    s.closing_debt := 0;
  end if;
  s.opening_balance := s.opening_balance + s.opening_debt;
  s.closing_balance := s.closing_balance + s.closing_debt;
  return s;
end;
$$;

comment on function credits_private.statement_of(uuid, date, uuid) is
  'An account''s statement for one UTC month: opening balance, movements by kind, closing balance.';
revoke all on function credits_private.statement_of(uuid, date, uuid) from public;
