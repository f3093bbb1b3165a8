-- spent_today_of: what an account's charges made today (UTC) cost it: the charges less those
-- charges' refunds and settlements, whenever they came, never negative (contract §12), from the
-- ledger: one account's rows of the day (credit_transactions_user_id_created_at_idx). What
-- credits_private.account_limits keeps while the account is limited; read when that count is
-- unknown (the account was unlimited meanwhile) or the account has no limit, and for a charge
-- whose transaction began the UTC day before the count's (its day is its own). p_member_id: a
-- team's rows naming that member only (their cap, credits_private.charge_member);
-- p_except_task_id: leaves that task's charge out (the start being counted, written or not yet).
create or replace function credits_private.spent_today_of(
  p_account_id uuid,
  p_member_id uuid default null,
  p_except_task_id uuid default null
)
returns bigint
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select greatest(coalesce(sum(-c.amount), 0) - coalesce(sum(r.amount), 0), 0)::bigint
    from public.credit_transactions c
    left join public.credit_transactions r on r.task_id = c.task_id and r.type = 'refund'
   where c.user_id = p_account_id and c.type = 'usage'
     and (p_member_id is null or c.member_id = p_member_id) and c.task_id is distinct from p_except_task_id
     and c.created_at >= date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00')
     and c.created_at < date_bin('1 day', now(), timestamptz '2000-01-01 00:00+00') + interval '24 hours';
$$;

comment on function credits_private.spent_today_of(uuid, uuid, uuid) is
  'An account''s charges of the current UTC day less their refunds and settlements, from the ledger.';
revoke all on function credits_private.spent_today_of(uuid, uuid, uuid) from public;
