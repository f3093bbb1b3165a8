-- count_in_flight: the generations an account pays for that are in flight ('pending' or
-- 'processing'), and when the oldest of them was created: what its in-flight limit is checked
-- against when account_limits.in_flight_at_most (an upper bound its charges raise) reaches the
-- limit, and what the balance results show. A task an account pays for is one its ledger charged
-- (a 'usage' row), so one index serves personal accounts and teams alike, read from the later of
-- p_from (the account's own low-water mark, '-infinity' when unknown) and the sweeper's (no task
-- created before it can be in flight): the account's rows since its oldest generation in flight,
-- not its history. Under the account's lock (a charge) the count is exact: a start not yet
-- committed waits for that lock and counts itself afterwards.
create or replace function credits_private.count_in_flight(
  p_account_id uuid,
  p_from timestamptz,
  out in_flight bigint,
  out oldest timestamptz
)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  select count(*), min(c.created_at)
    from public.credit_transactions c
    join public.enhancement_tasks t on t.id = c.task_id
   where c.user_id = p_account_id and c.type = 'usage'
     and c.created_at >= greatest(p_from, (select s.since from credits_private.sweeper_state s where s.name = 'sweeper'))
     and t.status in ('pending', 'processing');
$$;

comment on function credits_private.count_in_flight(uuid, timestamptz) is
  'The generations in flight an account pays for, and the oldest one''s creation.';
revoke all on function credits_private.count_in_flight(uuid, timestamptz) from public;
