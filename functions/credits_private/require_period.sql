-- require_period: refuses (CR003) a period that is not the first day of a month, finite, from
-- January 1970 up to the current month (UTC). Every period argument goes through it:
-- allocate_monthly_credits, credit_statement and my_credit_statement (and so
-- run_monthly_allocation); '-infinity' would otherwise pass as a month no account is before.
-- Errors: CR003.
create or replace function credits_private.require_period(p_name text, p_value date)
returns void
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
begin
  if p_value is null or not isfinite(p_value) or p_value < date '1970-01-01'
     or extract(day from p_value) <> 1
     or p_value > credits_private.current_period() then
    raise exception using errcode = 'CR003',
      message = format('%s must be the first day of a month that has begun (UTC)', p_name),
      detail = format('%s was %s; the current month (UTC) began on %s, and periods start in January 1970.',
                      p_name, coalesce(p_value::text, 'null'), credits_private.current_period()),
      hint = 'Pass the first of a month, e.g. date_trunc(''month'', now() at time zone ''UTC'')::date.';
  end if;
end;
$$;

comment on function credits_private.require_period(text, date) is
  'Raises CR003 unless a period is the first day of a month from 1970 to the current one (UTC).';
revoke all on function credits_private.require_period(text, date) from public;
