-- expire_promotional_credits_in_batches: the promotional expiry drained in the database (the
-- draining procedure of the job expire_promotional_credits, as every job's is named). A
-- PROCEDURE that calls expire_promotional_credits(p_limit) and COMMITs after each batch (its
-- expirations durable and its account locks released at once), until a batch closes no lot or
-- p_time_budget is spent; a schedule every minute with a budget under a minute keeps up without
-- runs piling up. Two runs at once share the work (each batch locks its accounts SKIP LOCKED)
-- and expire nothing twice. CALL it outside a transaction block (a COMMIT inside one is 2D000):
--   call public.expire_promotional_credits_in_batches();  -- from pg_cron, as a role with credits_service
-- PostgREST does not serve procedures: `credits expire-promotional-credits` is the TypeScript way.
-- Arguments: p_limit as expire_promotional_credits' (accounts per batch); p_time_budget, checked
-- between batches (at least 1 second, at most 1 hour).
-- Result (INOUT, pass nothing): lots closed, credits_expired, batches; stopped: 'drained' (a
-- batch closed no lot) or 'time_budget'.
-- Errors: CR003 invalid argument (and those of expire_promotional_credits).
-- SECURITY INVOKER without a SET clause: PostgreSQL refuses COMMIT in a procedure that has
-- either. Every name is schema-qualified and each transaction pins search_path locally; the
-- caller needs EXECUTE on expire_promotional_credits (credits_service has it).
create or replace procedure public.expire_promotional_credits_in_batches(
  p_limit integer default 1000,
  p_time_budget interval default '50 seconds',
  inout lots bigint default null,
  inout credits_expired bigint default null,
  inout batches integer default null,
  inout stopped text default null
)
language plpgsql
as $$
declare
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_batch record;
begin
  if p_time_budget is null or p_time_budget < interval '1 second' or p_time_budget > interval '1 hour' then
    raise exception using errcode = 'CR003',
      message = 'p_time_budget must be between 1 second and 1 hour',
      detail = pg_catalog.format('p_time_budget was %s.', coalesce(p_time_budget::text, 'null')),
      hint = 'Give the job less time than its schedule''s interval, e.g. ''50 seconds'' every minute.';
  end if;
  lots := 0;
  credits_expired := 0;
  batches := 0;
  loop
    perform pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    select e.lots, e.credits_expired into v_batch from public.expire_promotional_credits(p_limit) e;
    commit;
    batches := batches + 1;
    lots := lots + v_batch.lots;
    credits_expired := credits_expired + v_batch.credits_expired;
    if v_batch.lots = 0 then
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

comment on procedure public.expire_promotional_credits_in_batches(integer, interval, bigint, bigint, integer, text) is
  'Expires promotional credits past their date in committed batches until none is due or the time budget is spent.';
revoke all on procedure public.expire_promotional_credits_in_batches(integer, interval, bigint, bigint, integer, text) from public, anon, authenticated;
grant execute on procedure public.expire_promotional_credits_in_batches(integer, interval, bigint, bigint, integer, text) to credits_service;
