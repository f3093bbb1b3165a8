-- allocate_monthly_credits_in_batches: the whole monthly allocation, for a scheduler (pg_cron)
-- or a DBA (the draining procedure of the job allocate_monthly_credits, as every job's is named):
-- calls allocate_monthly_credits batch after batch, committing after each one, until no account
-- is left in an earlier period or p_max_duration has passed (a later run continues where this
-- one stopped: the accounts left are simply still due). A charge waits at most for one batch.
-- Two runs at once share the work (each batch locks its accounts SKIP LOCKED) and allocate
-- nothing twice. Must be CALLed outside an explicit transaction block (it commits).
--   select cron.schedule('credits-allocation', '5 * 1 * *', 'call public.allocate_monthly_credits_in_batches()');
-- Arguments: p_period_start (default: the current month, UTC), p_max_duration.
-- Reports what it did in a NOTICE.
-- Errors: CR003 as allocate_monthly_credits, or p_max_duration not positive or over 1 day.
-- SECURITY INVOKER and no pinned search_path: a procedure with a SET clause cannot COMMIT, so
-- every name is qualified, and it runs with the caller's rights (EXECUTE on
-- allocate_monthly_credits, which credits_service has); it can do nothing its caller cannot.
create or replace procedure public.allocate_monthly_credits_in_batches(
  p_period_start date default null,
  p_max_duration interval default '15 minutes'
)
language plpgsql
as $$
declare
  v_period date := coalesce(p_period_start, pg_catalog.date_trunc('month', pg_catalog.now() at time zone 'UTC')::date);
  v_deadline timestamptz;
  v_batch record;
  v_accounts integer := 0;
  v_allocated bigint := 0::bigint;
  v_expired bigint := 0::bigint;
  v_batches integer := 0;
begin
  -- Read as seconds (infinite on PostgreSQL 17+ is Infinity): the deadline is then a number of
  -- seconds away, so no value, however its parts cancel out, carries it out of range.
  if not coalesce(pg_catalog.date_part('epoch', p_max_duration) > 0
                  and pg_catalog.date_part('epoch', p_max_duration) <= 86400, false) then
    raise exception using errcode = 'CR003',
      message = 'p_max_duration must be positive, at most 1 day',
      detail = pg_catalog.format('p_max_duration was %s.', coalesce(p_max_duration::text, 'null')),
      hint = 'Pass how long one run may take, e.g. ''15 minutes''.';
  end if;
  v_deadline := pg_catalog.clock_timestamp()
                + pg_catalog.date_part('epoch', p_max_duration) * interval '1 second';
  loop
    select b.accounts, b.credits_allocated, b.credits_expired into v_batch
      from public.allocate_monthly_credits(v_period) b;
    commit;  -- releases this batch's row locks: charges on these accounts go on
    exit when v_batch.accounts = 0;
    v_batches := v_batches + 1;
    v_accounts := v_accounts + v_batch.accounts;
    v_allocated := v_allocated + v_batch.credits_allocated;
    v_expired := v_expired + v_batch.credits_expired;
    exit when pg_catalog.clock_timestamp() >= v_deadline;
  end loop;
  raise notice using message = pg_catalog.format(
    'period %s: %s accounts in %s batches, %s credits allocated, %s expired%s', v_period, v_accounts, v_batches,
    v_allocated, v_expired, case when v_batch.accounts = 0 then '' else '; stopped at p_max_duration, accounts remain: run it again' end);
end;
$$;

comment on procedure public.allocate_monthly_credits_in_batches(date, interval) is
  'Runs the monthly allocation to the end in batches, committing after each (for pg_cron).';
revoke all on procedure public.allocate_monthly_credits_in_batches(date, interval) from public, anon, authenticated;
grant execute on procedure public.allocate_monthly_credits_in_batches(date, interval) to credits_service;
