-- top_users: the 10 accounts of the tasks started in [p_from, p_to) with the most credits charged
-- (ranking 'credits'), provider cost ('cost') and generations ('generations'), exactly, ties by
-- account id. It sums exactly (monitoring_private.account_totals) only the accounts that could
-- rank, and reads raw rows only where it must, one account at a time (the (user_id, created_at)
-- index), never a day of every account but when most accounts could still rank:
--   - Whole UTC days come from monitoring.user_rollup_daily, through one of
--     monitoring.user_rollup_window's windows when one lies within them (the dashboard's periods,
--     "the last 7 or 30 days"). The last day counts as whole when the range reaches the last
--     refresh's watermark: a task started after it is a changed task (below).
--   - An (account, day) holding a task changed since the last refresh (monitoring_private.
--     changed_tasks) is read from the raw rows instead of its rollup row.
--   - The accounts summed first: the window's ten leaders of each ranking, the accounts of the
--     whole days outside it, the changed ones. Then, of the other accounts of a partial day at an
--     edge (the day "the last 7 days" starts in), only those whose whole day there, added to
--     their own window figures, reaches the tenth total so far.
-- An account outside all of these cannot rank: every figure only grows as days are added, and
-- its whole partial day is at least what it has there.
-- p_as_of_refresh: whole days from the rollups as of their last refresh, no raw row.
create or replace function monitoring_private.top_users(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (
  ranking text, rank integer, user_id uuid, generations bigint, credits_charged bigint, credits_refunded bigint, cost_usd numeric
)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
-- summing a month of a platform's users would spill to disk at the default 4 MB
set work_mem to '64MB'
-- starting parallel workers costs more than the few thousand rows they would share
set max_parallel_workers_per_gather to 0
as $$
declare
  v_today date := (select e.through from monitoring.user_rollup_window_end e where e.days = 30);
  v_watermark timestamptz;
  v_in_flight_since timestamptz;
  v_since timestamptz;
  v_first date;          -- the whole days are [v_first, v_end)
  v_end date;
  v_partial date[] := '{}'::date[];  -- the partial days at the edges
  v_days smallint;       -- the window within the whole days (null: none)
  v_through date;
  v_dirty_accounts uuid[] := '{}'::uuid[];  -- (account, day) pairs read from the raw rows
  v_dirty_days date[] := '{}'::date[];
  v_raw boolean := false;  -- no refresh to start from: every account of the range from the raw rows
  v_must uuid[] := '{}'::uuid[];
  v_others uuid[] := '{}'::uuid[];
  v_probe boolean := true;  -- v_others' partial days read one account at a time (else scanned)
  -- the exact totals of v_must (columns of one row set)
  v_users uuid[];
  v_generations bigint[];
  v_credits bigint[];
  v_refunded bigint[];
  v_cost numeric[];
begin
  if p_as_of_refresh then
    v_first := (p_from at time zone 'UTC')::date;
    v_end := (p_to at time zone 'UTC')::date;
  else
    select s.watermark, s.in_flight_since into v_watermark, v_in_flight_since
      from monitoring.rollup_state s where s.name = 'rollups';
    if v_watermark is null or v_watermark = '-infinity' then
      -- never refreshed (or right after migration 0034): every account of the range, raw
      v_raw := true;
      v_first := (p_from at time zone 'UTC')::date;
      v_end := v_first;
    else
      v_since := v_watermark - coalesce((select s.margin from credits_private.sweeper_state s where s.name = 'sweeper'),
                                        interval '10 minutes');
      v_first := (p_from at time zone 'UTC')::date;
      if v_first::timestamp at time zone 'UTC' < p_from then
        v_partial := array[v_first];
        v_first := v_first + 1;
      end if;
      v_end := (p_to at time zone 'UTC')::date;
      if v_end::timestamp at time zone 'UTC' < p_to then
        if p_to >= v_since and v_end >= v_first then v_end := v_end + 1;  -- every clean account's day is complete
        elsif not v_end = any(v_partial) then v_partial := v_partial || v_end;
        end if;
      end if;
      v_end := greatest(v_end, v_first);
      select coalesce(array_agg(c.account_id), '{}'), coalesce(array_agg(c.day), '{}') into v_dirty_accounts, v_dirty_days
        from (select distinct c.account_id, (c.created_at at time zone 'UTC')::date as day
                from monitoring_private.changed_tasks(v_since, v_in_flight_since) c
               where c.created_at >= p_from and c.created_at < p_to) c;
    end if;
  end if;

  -- the longest window within the whole days
  select w.days, w.through into v_days, v_through
    from monitoring_private.user_windows(v_today) w
   where w.through - w.days + 1 >= v_first and w.through < v_end
   order by w.days desc limit 1;

  -- The accounts that must be summed exactly: the window's ten leaders of each ranking, the
  -- accounts of the whole days outside it, the changed ones.
  v_must := array(
    (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.credits_charged desc, w.user_id limit 10)
    union (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.cost_usd desc, w.user_id limit 10)
    union (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.generations desc, w.user_id limit 10)
    -- the days before the window and after it, as two ranges of the (day, user_id) key
    union select r.user_id from monitoring.user_rollup_daily r
           where r.day >= v_first and r.day < least(v_end, v_through - v_days + 1)
              or r.day >= greatest(v_first, v_through + 1) and r.day < v_end
    union select unnest(v_dirty_accounts));
  select coalesce(array_agg(t.user_id), '{}'), coalesce(array_agg(t.generations), '{}'), coalesce(array_agg(t.credits_charged), '{}'),
         coalesce(array_agg(t.credits_refunded), '{}'), coalesce(array_agg(t.cost_usd), '{}')
    into v_users, v_generations, v_credits, v_refunded, v_cost
    from monitoring_private.account_totals(v_must, p_from, p_to, v_first, v_end, v_days, v_through, v_partial,
                                           v_dirty_accounts, v_dirty_days, cardinality(v_must) <= 1000) t
   where t.generations > 0;
  -- Every other account of the partial days whose whole days there, added to what it holds in
  -- the window (all it has besides: it is neither changed nor in a day outside the window), reach
  -- the tenth total so far (or equal it with a smaller account id, which ranks first). Set-based
  -- (the window's rows hashed), and tight: when every account is alike, few are summed.
  with totals as (
    select * from unnest(v_users, v_generations, v_credits, v_cost) t (user_id, generations, credits_charged, cost_usd)
  ), -- each ranking's tenth so far, with its account: ties rank by account id
  c as materialized (select t.credits_charged, t.user_id from totals t order by t.credits_charged desc, t.user_id offset 9 limit 1),
  k as materialized (select t.cost_usd, t.user_id from totals t order by t.cost_usd desc, t.user_id offset 9 limit 1),
  g as materialized (select t.generations, t.user_id from totals t order by t.generations desc, t.user_id offset 9 limit 1),
  b as materialized (  -- could_rank computed once
    select d.user_id, d.generations,
           not exists (select from c)  -- fewer than ten so far: any account could rank
           or exists (select from c where (coalesce(w.credits_charged, 0) + d.credits_charged, c.user_id) > (c.credits_charged, d.user_id))
           or exists (select from k where (coalesce(w.cost_usd, 0) + d.cost_usd, k.user_id) > (k.cost_usd, d.user_id))
           or exists (select from g where (coalesce(w.generations, 0) + d.generations, g.user_id) > (g.generations, d.user_id)) as could_rank
      from (select r.user_id, sum(r.generations) as generations, sum(r.credits_charged) as credits_charged, sum(r.cost_usd) as cost_usd
              from monitoring.user_rollup_daily r
             where r.day = any(v_partial)
               and not exists (select 1 from unnest(v_must) m (user_id) where m.user_id = r.user_id)
             group by r.user_id) d  -- each account's whole partial days
      left join monitoring.user_rollup_window w on w.days = v_days and w.user_id = d.user_id
  )
  select coalesce(array_agg(b.user_id) filter (where b.could_rank), '{}'),
         -- read their partial days one account at a time while they hold under a quarter of the
         -- days' generations (as of the last refresh), else scan the days
         coalesce(sum(b.generations) filter (where b.could_rank), 0) * 4 <= coalesce(sum(b.generations), 0)
    into v_others, v_probe
    from b;

  return query
    with totals as (
      select * from unnest(v_users, v_generations, v_credits, v_refunded, v_cost)
                      as t (user_id, generations, credits_charged, credits_refunded, cost_usd)
      union all
      select * from monitoring_private.account_totals(v_others, p_from, p_to, v_first, v_end, v_days, v_through, v_partial,
                                                      v_dirty_accounts, v_dirty_days, v_probe) t
       where t.generations > 0
      union all
      select s.user_id, sum(s.generations)::bigint, sum(s.credits_charged)::bigint, sum(s.credits_refunded)::bigint, sum(s.cost_usd)
        from monitoring_private.user_day_rollup_source(p_from, p_to) s where v_raw group by s.user_id
    )
    -- three top-10 heap sorts (not three sorts of every account)
    (select 'credits', (row_number() over (order by t.credits_charged desc, t.user_id))::integer, t.*
       from totals t order by t.credits_charged desc, t.user_id limit 10)
    union all
    (select 'cost', (row_number() over (order by t.cost_usd desc, t.user_id))::integer, t.*
       from totals t order by t.cost_usd desc, t.user_id limit 10)
    union all
    (select 'generations', (row_number() over (order by t.generations desc, t.user_id))::integer, t.*
       from totals t order by t.generations desc, t.user_id limit 10);
end;
$$;

comment on function monitoring_private.top_users(timestamptz, timestamptz, boolean) is
  'The 10 accounts with the most credits charged, provider cost and generations for tasks started in a range, exactly.';
revoke all on function monitoring_private.top_users(timestamptz, timestamptz, boolean) from public;
