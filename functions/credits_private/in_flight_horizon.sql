-- in_flight_horizon: the low-water mark of in-flight tasks. No task created before the result is
-- in flight now, and none can become visible in flight later: the earlier of the oldest task in
-- flight created since p_from and the start of the oldest open transaction (which may still
-- commit a task stamped with its start), less credits_private.sweeper_state.margin.
-- The open transactions are read first, the tasks in a later statement (a later snapshot under
-- READ COMMITTED): a transaction that commits between the two reads is seen by the second.
-- Result: '-infinity' when the open transactions cannot be seen (the caller's greatest() then
-- keeps its mark where it was).
-- Used by expire_stale_generations (credits_private.sweeper_state.since) and
-- monitoring.refresh_rollups (monitoring.rollup_state.in_flight_since); monitoring.platform_health
-- reads the sweeper's mark.
create or replace function credits_private.in_flight_horizon(p_from timestamptz)
returns timestamptz
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
as $$
declare
  v_open timestamptz := credits_private.oldest_open_transaction();
  v_task timestamptz;
  v_margin interval;
begin
  if v_open is null then
    return '-infinity'::timestamptz;
  end if;
  select min(t.created_at) into v_task
    from public.enhancement_tasks t
   where t.created_at >= p_from and t.status in ('pending', 'processing');
  select s.margin into v_margin from credits_private.sweeper_state s where s.name = 'sweeper';
  return least(v_open, v_task) - coalesce(v_margin, interval '10 minutes');
end;
$$;

comment on function credits_private.in_flight_horizon(timestamptz) is
  'No task created before this instant is or can become visible in flight (the in-flight low-water mark).';
revoke all on function credits_private.in_flight_horizon(timestamptz) from public;
