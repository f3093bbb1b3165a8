-- lock_account: the first step of a write to one account. Its row is locked FOR UPDATE, which
-- serialises the account's writers (a concurrent call with the same idempotency key waits here,
-- then finds the first call's work and replays it); no account is CR002; and the account's first
-- write of a new UTC month starts that month for it (roll_over: the lazy roll-over, so the
-- monthly batch need not have reached it). Callers: grant_credits, grant_promotional_credits,
-- change_tier. start_generation's general path keeps an inline copy, which also reads the
-- balance it charges in the same statement (its common charge locks with its UPDATE instead);
-- tests/credits_private/lock_account.test.ts holds the copy to this one.
-- Errors: CR002.
create or replace function credits_private.lock_account(p_user_id uuid)
returns void
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_period date;
  v_current date := credits_private.current_period();
begin
  select uc.period_start into v_period
    from public.user_credits uc
   where uc.user_id = p_user_id
     for update;
  if not found then
    perform credits_private.raise_no_account(p_user_id);
  end if;
  if v_period < v_current then
    perform credits_private.roll_over(array[p_user_id], v_current);
  end if;
end;
$$;

comment on function credits_private.lock_account(uuid) is
  'Locks an account for a write (CR002 when missing) and starts the current UTC month for it if needed.';
revoke all on function credits_private.lock_account(uuid) from public;
