-- drain_stale_generations: deprecated, the former name of expire_stale_generations_in_batches
-- (every batch job's draining procedure is named after the job), kept for one release: the same
-- arguments and results, the same advisory lock (a run under either name finds the other's).
-- SECURITY INVOKER and no pinned search_path, like the procedure it calls.
create or replace procedure public.drain_stale_generations(
  p_older_than interval default '30 minutes',
  p_batch integer default 1000,
  p_time_budget interval default '50 seconds',
  inout swept bigint default null,
  inout batches integer default null,
  inout stopped text default null
)
language plpgsql
as $$
begin
  call public.expire_stale_generations_in_batches(p_older_than, p_batch, p_time_budget, swept, batches, stopped);
end;
$$;

comment on procedure public.drain_stale_generations(interval, integer, interval, bigint, integer, text) is
  'Deprecated: expire_stale_generations_in_batches, under its former name (kept for one release).';
revoke all on procedure public.drain_stale_generations(interval, integer, interval, bigint, integer, text) from public, anon, authenticated;
grant execute on procedure public.drain_stale_generations(interval, integer, interval, bigint, integer, text) to credits_service;
