-- credit_account_is_valid: the integrity rule of an account row, called by the CHECK constraint
-- user_credits_row_check: credits is the sum of the three buckets (monthly, purchased,
-- promotional), no bucket or counter is negative, a period starts on the first of a month. True,
-- or a check_violation naming the broken rule. (monthly_allowance is the tiers' check's.)
-- The rule in force: a deploy applies a change to the rows written from then on; a rule that
-- rows already stored may break needs a migration that checks them (CONTRIBUTING.md).
create or replace function credits_private.credit_account_is_valid(
  credits bigint, monthly_credits bigint, purchased_credits bigint, promotional_credits bigint,
  credits_used_this_month bigint, period_start date)
returns boolean
language plpgsql
immutable
set search_path to pg_catalog, pg_temp
as $$
declare
  broken integer := case
    when not (credits = monthly_credits + purchased_credits + promotional_credits) then 1
    when not (least(monthly_credits, purchased_credits, promotional_credits, credits_used_this_month) >= 0) then 2
    when not (extract(day from period_start) = 1) then 3
  end;
begin
  if broken is null then
    return true;
  end if;
  raise exception using errcode = 'check_violation', table = 'user_credits',
    constraint = 'user_credits_row_check', message = 'user_credits row refused: ' || case broken
      when 1 then format('credits %s must equal monthly_credits %s + purchased_credits %s + promotional_credits %s',
                         credits, monthly_credits, purchased_credits, promotional_credits)
      when 2 then format('no balance or counter may be negative (credits %s, monthly %s, purchased %s, promotional %s, used this month %s)',
                         credits, monthly_credits, purchased_credits, promotional_credits, credits_used_this_month)
      else format('period_start must be the first day of a month, not %s', period_start)
    end;
end;
$$;

revoke all on function credits_private.credit_account_is_valid(bigint, bigint, bigint, bigint, bigint, date) from public;
