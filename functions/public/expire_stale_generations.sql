-- expire_stale_generations: the sweeper. Fails (source 'timeout') and refunds every task that has
-- stayed 'pending' or 'processing' longer than p_older_than since its last status change, oldest
-- first, at most p_limit per call. Tasks locked by a callback in flight are skipped (SKIP LOCKED),
-- so several sweepers and late callbacks can run at once; the accounts refunded (a team for its
-- members' generations) are locked in one order, so concurrent sweepers never deadlock. It reads only tasks created since its low-water mark
-- (credits_private.sweeper_state, through the BRIN index on created_at), then moves the mark to
-- credits_private.in_flight_horizon: the oldest task still in flight or the start of the oldest
-- transaction still open (it may yet commit a task stamped with its start), less a margin. So a
-- task committed late, however long its transaction stayed open, is still swept.
-- Call it again while it returns p_limit rows; each run reads minutes of tasks, not the table
-- (its first run reads every task once). When the open transactions cannot be seen (the owner
-- lacks pg_read_all_stats, a session runs with track_activities off, a prepared transaction is
-- pending, the caller is above READ COMMITTED) the mark stays where it is: later runs read more,
-- never miss a task.
-- Each task fails through credits_private.fail_and_refund; its refund row's origin is 'sweeper'.
-- Result: one row per task it failed: task_id, user_id, previous_status, stuck_since,
-- refunded_credits, balance.
-- Errors: CR003 invalid argument (p_older_than outside 1 second..10 years, p_limit outside 1..100000).
-- Never null: task_id, user_id, previous_status, stuck_since, refunded_credits.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.expire_stale_generations(
  p_older_than interval default '30 minutes',
  p_limit integer default 1000
)
returns table (
  task_id uuid,
  user_id uuid,
  previous_status text,
  stuck_since timestamptz,
  refunded_credits integer,
  balance bigint
)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
declare
  v_task record;
  v_refund record;
  v_since timestamptz;
begin
  perform credits_private.require_interval('p_older_than', p_older_than, interval '1 second', interval '10 years',
                                          '1 second and 10 years');
  if p_limit is null or p_limit not between 1 and 100000 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be between 1 and 100000',
      detail = format('p_limit was %s.', coalesce(p_limit::text, 'null')),
      hint = 'Sweep in batches; call again while rows come back.';
  end if;

  select s.since into v_since from credits_private.sweeper_state s where s.name = 'sweeper';
  v_since := coalesce(v_since, '-infinity');

  for v_task in
    with stale as (
      select t.id from public.enhancement_tasks t
       where t.created_at >= v_since
         and t.status in ('pending', 'processing') and t.updated_at < now() - p_older_than
       order by t.updated_at
       limit p_limit
         for update skip locked
    )
    select t.id, t.user_id, t.status, t.updated_at
      from public.enhancement_tasks t join stale using (id)
     order by coalesce(t.account_id, t.user_id), t.id -- the accounts the refunds lock, in one order
  loop
    v_refund := credits_private.fail_and_refund(v_task.id, 'sweeper', 'timeout',
                                                format('no result after %s in status %s', p_older_than, v_task.status));

    task_id := v_task.id;
    user_id := v_task.user_id;
    previous_status := v_task.status;
    stuck_since := v_task.updated_at;
    refunded_credits := v_refund.refunded_credits;
    balance := v_refund.balance;
    return next;
  end loop;

  update credits_private.sweeper_state s
     set since = greatest(s.since, credits_private.in_flight_horizon(v_since))
   where s.name = 'sweeper';
end;
$$;

comment on function public.expire_stale_generations(interval, integer) is
  'Fails and refunds tasks stuck in flight longer than p_older_than; safe to run concurrently.';
revoke all on function public.expire_stale_generations(interval, integer) from public, anon, authenticated;
grant execute on function public.expire_stale_generations(interval, integer) to credits_service;
