-- claim_generations_to_reconcile: the tasks a reconciliation should ask their provider about:
-- submitted to p_provider (status 'processing' with a job id) and unchanged for longer than
-- p_older_than, oldest first, at most p_limit. Each task returned is leased for p_lease
-- (credits_private.reconcile_leases.leased_until): another reconciliation running at the same
-- time, or before that lease ends, is given other tasks, whatever lease it asks for itself (rows
-- locked by a concurrent claim are skipped). It
-- reads tasks created since the sweeper's low-water mark, as the sweeper does.
-- Result: task_id, external_task_id, in_flight_seconds (since its last status change).
-- Errors: CR003 invalid argument (blank provider, p_older_than outside 1 second..10 years, p_lease
-- outside 1 second..1 day, p_limit outside 1..10000).
-- Never null: task_id, external_task_id, in_flight_seconds.
-- SECURITY DEFINER: the service role calls it without any privilege on the tables.
create or replace function public.claim_generations_to_reconcile(
  p_provider text,
  p_older_than interval default '2 minutes',
  p_limit integer default 100,
  p_lease interval default '2 minutes'
)
returns table (task_id uuid, external_task_id text, in_flight_seconds double precision)
language plpgsql
volatile
security definer
set search_path to pg_catalog, pg_temp
as $$
#variable_conflict use_column
begin
  perform credits_private.require_text('p_provider', p_provider, 100);
  perform credits_private.require_interval('p_older_than', p_older_than, interval '1 second', interval '10 years',
                                          '1 second and 10 years');
  if p_limit is null or p_limit not between 1 and 10000 then
    raise exception using errcode = 'CR003',
      message = 'p_limit must be between 1 and 10000',
      detail = format('p_limit was %s.', coalesce(p_limit::text, 'null')),
      hint = 'For example claim_generations_to_reconcile(''wavespeed'', ''2 minutes'', 100).';
  end if;
  -- leases older than a day are cleared below: a longer one would not hold
  perform credits_private.require_interval('p_lease', p_lease, interval '1 second', interval '1 day', '1 second and 1 day');

  delete from credits_private.reconcile_leases l where l.taken_at < now() - interval '1 day';
  return query
    with candidates as (
      select t.id, t.external_task_id, t.updated_at
        from public.enhancement_tasks t
       where t.created_at >= coalesce((select s.since from credits_private.sweeper_state s where s.name = 'sweeper'), '-infinity')
         and t.status = 'processing' and t.provider = p_provider and t.external_task_id is not null
         and t.updated_at < now() - p_older_than
         and not exists (select 1 from credits_private.reconcile_leases l where l.task_id = t.id and l.leased_until > now())
       order by t.updated_at
       limit p_limit
         for update of t skip locked
    ), leased as (
      -- The lease row decides, not the snapshot: a concurrent claim's uncommitted lease makes this
      -- insert wait, and then its leased_until fails the WHERE, so the task is not returned twice.
      insert into credits_private.reconcile_leases as l (task_id, taken_at, leased_until)
      select c.id, now(), now() + p_lease from candidates c
      on conflict on constraint reconcile_leases_pkey
        do update set taken_at = excluded.taken_at, leased_until = excluded.leased_until
        where l.leased_until <= now()
      returning l.task_id
    )
    select c.id, c.external_task_id, extract(epoch from now() - c.updated_at)::float8
      from candidates c join leased on leased.task_id = c.id
     order by c.updated_at;
end;
$$;

comment on function public.claim_generations_to_reconcile(text, interval, integer, interval) is
  'Tasks submitted to a provider and unchanged for a while, leased to this reconciliation: ask the provider about them.';
revoke all on function public.claim_generations_to_reconcile(text, interval, integer, interval) from public, anon, authenticated;
grant execute on function public.claim_generations_to_reconcile(text, interval, integer, interval) to credits_service;
