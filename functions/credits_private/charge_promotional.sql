-- charge_promotional: start_generation's charge of an account that holds promotional credits
-- (the task exists, the account's row is locked). Lots past their expiry expire first (lazy
-- expiry: an 'expiration' row each, as the job would write), and the charge is refused (CR001)
-- if what they held was needed; then promotional credits are spent first (spend_promotional: the
-- lot that expires soonest first, each spend recorded for the refund), then monthly, then
-- purchased, and the usage row records the split. Apart from start_generation because every
-- statement a call runs costs instructions: an account without promotional credits runs none
-- of this (start_generation charges it itself, monthly then purchased: the same split with no
-- promotional part, both held to one model of the charge by tests/property.test.ts).
-- p_member_id: on a team's charge, the member generating (the usage row names them).
-- Result: the account's balance after the charge.
-- Errors: CR001 insufficient credits (with the balance the expiry left).
create or replace function credits_private.charge_promotional(
  p_user_id uuid,
  p_task_id uuid,
  p_credits integer,
  p_provider text,
  p_member_id uuid default null
)
returns bigint
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_credits bigint;
  v_balance bigint;
  v_monthly bigint;
  v_promotional bigint;
  v_period date;
  v_promotional_part bigint;
  v_monthly_part bigint;
begin
  perform credits_private.expire_promotional_credits_of(array[p_user_id], false);
  select uc.credits, uc.monthly_credits, uc.promotional_credits, uc.period_start
    into v_credits, v_monthly, v_promotional, v_period
    from public.user_credits uc
   where uc.user_id = p_user_id;
  if v_credits < p_credits then
    perform credits_private.raise_insufficient_credits(p_user_id, p_credits, v_credits);
  end if;

  v_promotional_part := credits_private.spend_promotional(p_user_id, p_task_id, p_credits); -- 0 when the expiry took all
  v_monthly_part := least(v_monthly, p_credits - v_promotional_part);
  v_balance := v_credits - p_credits;
  update public.user_credits uc
     set credits = v_balance,
         promotional_credits = v_promotional - v_promotional_part,
         monthly_credits = v_monthly - v_monthly_part,
         purchased_credits = uc.purchased_credits - (p_credits - v_promotional_part - v_monthly_part),
         credits_used_this_month = uc.credits_used_this_month + p_credits,
         updated_at = now()
   where uc.user_id = p_user_id;
  insert into public.credit_transactions
    (user_id, amount, monthly_amount, promotional_amount, type, task_id, provider, balance_after, period_start, member_id)
  values (p_user_id, -p_credits, -v_monthly_part, -v_promotional_part, 'usage', p_task_id, p_provider, v_balance, v_period,
          p_member_id);
  return v_balance;
end;
$$;

comment on function credits_private.charge_promotional(uuid, uuid, integer, text, uuid) is
  'Charges an account holding promotional credits: lazy expiry, then promotional, monthly, purchased credits.';
revoke all on function credits_private.charge_promotional(uuid, uuid, integer, text, uuid) from public;
