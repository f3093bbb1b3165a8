-- current_period: the current UTC month, as the first day of it: the period an account's write
-- starts when its own is earlier (the lazy roll-over), the latest a period may be, the default of
-- the statements and of the allocation. Periods are UTC months whatever the session's time zone.
-- The inline copies (start_generation and fail_and_refund on the hot path; the procedure
-- run_monthly_allocation, which runs as its caller; the contract's argument defaults, which run
-- in the caller's rights) are held to this text by tests/credits_private/current_period.test.ts.
create or replace function credits_private.current_period()
returns date
language plpgsql
stable
set search_path to pg_catalog, pg_temp
as $$
begin
  return date_trunc('month', now() at time zone 'UTC')::date;
end;
$$;

comment on function credits_private.current_period() is 'The first day of the current UTC month.';
revoke all on function credits_private.current_period() from public;
