-- credit_history: an account's ledger, newest first, a page at a time, for the service and
-- support: every row with its type, amount, the parts of it in the monthly and promotional
-- buckets, the balance after it, the period, the task and the description; origin says who
-- wrote it, 'settlement' for a refund that gave back the part of a hold a generation did not use
-- (contract §11), not a failure's. Pages are
-- keyset-paginated on (created_at, id): pass the last row's id as p_before for the next page
-- (credits_private.history_of).
-- Of a team (contract §12), every row of a member's generation names them (member_id), and
-- p_member_id reads only the rows naming that member.
-- Result: id, created_at, type, amount, monthly_amount, balance_after (null on some legacy rows),
-- period_start, task_id, description, origin, promotional_amount, member_id (null but on a team's
-- charges, refunds and settlements), debt_amount (the part of amount that repaid, positive, or
-- created, negative, debt: contract §13; 0 on most rows; a 'revocation' row takes credits back).
-- Errors: CR003 invalid argument (null user, p_limit outside 1..1000, p_before not a row of this
-- user). A user without an account has no history: an empty page, not an error.
-- Never null: id, created_at, type, amount, monthly_amount, origin, promotional_amount, debt_amount.
-- SECURITY DEFINER: the service role reads the ledger without any privilege on the tables.
create or replace function public.credit_history(
  p_user_id uuid,
  p_before uuid default null,
  p_limit integer default 50,
  p_member_id uuid default null
)
returns table (
  id uuid,
  created_at timestamptz,
  type text,
  amount bigint,
  monthly_amount bigint,
  balance_after bigint,
  period_start date,
  task_id uuid,
  description text,
  origin text,
  promotional_amount bigint,
  member_id uuid,
  debt_amount bigint
)
language plpgsql
stable
security definer
set search_path to pg_catalog, pg_temp
as $$
begin
  perform credits_private.require_present('p_user_id', p_user_id);
  return query
    select h.id, h.created_at, h.type, h.amount, h.monthly_amount, h.balance_after, h.period_start, h.task_id,
           h.description, h.origin, h.promotional_amount, h.member_id, coalesce(h.debt_amount, 0)
      from credits_private.history_of(p_user_id, p_before, p_limit, p_member_id) h;
end;
$$;

comment on function public.credit_history(uuid, uuid, integer, uuid) is
  'An account''s ledger rows, newest first, a page at a time (keyset on created_at and id).';
revoke all on function public.credit_history(uuid, uuid, integer, uuid) from public, anon, authenticated;
grant execute on function public.credit_history(uuid, uuid, integer, uuid) to credits_service;
