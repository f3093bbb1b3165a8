-- expire_stale_generations_in_batches: the in-database sweeper job that drains a backlog (the
-- draining procedure of the job expire_stale_generations, as every job's is named). A PROCEDURE
-- that calls expire_stale_generations(p_older_than, p_batch) and COMMITs after each batch (every
-- batch's refunds are durable and its locks released at once), until a batch comes back short or
-- p_time_budget is spent; a schedule every minute with a budget under a minute drains
-- continuously without runs piling up. Each batch first takes a transaction-level advisory lock:
-- a second drain running at the same time finds it taken and returns (stopped = 'busy'), so two
-- schedulers never double the work (expire_stale_generations is safe to run concurrently anyway).
-- CALL it outside a transaction block (a COMMIT inside one is 2D000):
--   call public.expire_stale_generations_in_batches();  -- from pg_cron, as a role with credits_service
-- PostgREST does not serve procedures and the typed client has none: `credits
-- expire-stale-generations` is the TypeScript way. Schedule and measured drain rate:
-- docs/operations.md.
-- Arguments: p_older_than and p_batch as expire_stale_generations' p_older_than and p_limit;
-- p_time_budget, checked between batches (at least 1 second, at most 1 hour).
-- Result (INOUT, pass nothing): swept, the tasks failed and refunded; batches; stopped: 'drained'
-- (a batch came back short), 'time_budget' or 'busy'.
-- Errors: CR003 invalid argument (and those of expire_stale_generations).
-- SECURITY INVOKER without a SET clause: PostgreSQL refuses COMMIT in a procedure that has
-- either. Every name is schema-qualified and each transaction pins search_path locally; the
-- caller needs EXECUTE on expire_stale_generations (credits_service has it).
create or replace procedure public.expire_stale_generations_in_batches(
  p_older_than interval default '30 minutes',
  p_batch integer default 1000,
  p_time_budget interval default '50 seconds',
  inout swept bigint default null,
  inout batches integer default null,
  inout stopped text default null
)
language plpgsql
as $$
declare
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_count integer;
begin
  if p_time_budget is null or p_time_budget < interval '1 second' or p_time_budget > interval '1 hour' then
    raise exception using errcode = 'CR003',
      message = 'p_time_budget must be between 1 second and 1 hour',
      detail = pg_catalog.format('p_time_budget was %s.', coalesce(p_time_budget::text, 'null')),
      hint = 'Give the job less time than its schedule''s interval, e.g. ''50 seconds'' every minute.';
  end if;
  swept := 0;
  batches := 0;
  loop
    perform pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    -- the key of its former name, drain_stale_generations: a run under either name finds the other
    if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('public.drain_stale_generations')) then
      stopped := 'busy';
      exit;
    end if;
    select count(*)::integer into v_count from public.expire_stale_generations(p_older_than, p_batch);
    swept := swept + v_count;
    batches := batches + 1;
    commit;
    if v_count < p_batch then
      stopped := 'drained';
      exit;
    end if;
    if pg_catalog.clock_timestamp() - v_started >= p_time_budget then
      stopped := 'time_budget';
      exit;
    end if;
  end loop;
end;
$$;

comment on procedure public.expire_stale_generations_in_batches(interval, integer, interval, bigint, integer, text) is
  'Sweeps stale generations in committed batches until none is left or the time budget is spent.';
revoke all on procedure public.expire_stale_generations_in_batches(interval, integer, interval, bigint, integer, text) from public, anon, authenticated;
grant execute on procedure public.expire_stale_generations_in_batches(interval, integer, interval, bigint, integer, text) to credits_service;
