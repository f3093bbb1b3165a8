-- top_users: the 10 accounts of the tasks started in [p_from, p_to) with the most credits charged
-- (ranking 'credits'), provider cost ('cost') and generations ('generations'), exactly, ties by
-- account id. It reads raw rows only where it must, one account at a time (the (user_id,
-- created_at) index), never a day of every account:
--   - Whole UTC days come from monitoring.user_rollup_daily, through one of
--     monitoring.user_rollup_window's windows when one lies within them (the dashboard's periods,
--     "the last 7 or 30 days"). The last day counts as whole when the range reaches the last
--     refresh's watermark: a task started after it is a changed task (below).
--   - An (account, day) holding a task changed since the last refresh (monitoring_private.
--     changed_tasks) is read from the raw rows instead of its rollup row.
--   - A partial day at an edge (the day "the last 7 days" starts in) is bounded by the account's
--     rollup row for the whole day: only the accounts that could reach the ten leaders with all
--     of it are read from the raw rows.
-- An account outside all of these cannot rank, since every figure only grows as days are added,
-- and the ten leaders of the window stood above it there already.
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

  return query
    with dirty as (
      select d.account_id, d.day, greatest(p_from, d.day::timestamp at time zone 'UTC') as lo,
             least(p_to, (d.day + 1)::timestamp at time zone 'UTC') as hi
        from unnest(v_dirty_accounts, v_dirty_days) d (account_id, day)
    ), rest as (
      -- the whole days outside the window (all of them when there is none), clean pairs only
      select r.user_id, r.generations::bigint as generations, r.credits_charged, r.credits_refunded, r.cost_usd
        from monitoring.user_rollup_daily r
       where r.day >= v_first and r.day < v_end
         and (v_days is null or r.day <= v_through - v_days or r.day > v_through)
         and not exists (select 1 from dirty d where d.account_id = r.user_id and d.day = r.day)
    ), bound as (
      -- the partial days' clean pairs: at most the account's whole day
      select r.user_id, r.day, r.generations::bigint as generations, r.credits_charged, r.credits_refunded, r.cost_usd
        from monitoring.user_rollup_daily r
       where r.day = any(v_partial)
         and not exists (select 1 from dirty d where d.account_id = r.user_id and d.day = r.day)
    ), window_dirty as (
      -- the window's rows of dirty pairs, taken back out of the window's sums
      select r.user_id, -r.generations::bigint as generations, -r.credits_charged as credits_charged,
             -r.credits_refunded as credits_refunded, -r.cost_usd as cost_usd
        from dirty d join monitoring.user_rollup_daily r on r.user_id = d.account_id and r.day = d.day
       where v_days is not null and d.day > v_through - v_days and d.day <= v_through
    ), accounts as (
      (select w.user_id from monitoring.user_rollup_window w where w.days = v_days
        order by w.credits_charged desc, w.user_id limit 10)
      union (select w.user_id from monitoring.user_rollup_window w where w.days = v_days
              order by w.cost_usd desc, w.user_id limit 10)
      union (select w.user_id from monitoring.user_rollup_window w where w.days = v_days
              order by w.generations desc, w.user_id limit 10)
      union select rest.user_id from rest
      union select bound.user_id from bound
      union select dirty.account_id from dirty
    ), known as (
      -- what is known exactly of each account that could rank
      select k.user_id, sum(k.generations)::bigint as generations, sum(k.credits_charged)::bigint as credits_charged,
             sum(k.credits_refunded)::bigint as credits_refunded, sum(k.cost_usd) as cost_usd
        from (select w.user_id, w.generations::bigint as generations, w.credits_charged, w.credits_refunded, w.cost_usd
                from monitoring.user_rollup_window w
               where w.days = v_days and w.user_id in (select a.user_id from accounts a)
              union all select * from rest
              union all select * from window_dirty
              union all
              select s.user_id, s.generations, s.credits_charged, s.credits_refunded, s.cost_usd
                from monitoring_private.user_day_rollup_source(p_from, p_to) s where v_raw
              union all
              select x.account_id, x.generations, x.credits_charged, x.credits_refunded, x.cost_usd
                from monitoring_private.account_figures(array(select d.account_id from dirty d), array(select d.lo from dirty d),
                                                        array(select d.hi from dirty d)) x) k
       group by k.user_id
    ), upper as (
      select b.user_id, sum(b.generations) as generations, sum(b.credits_charged) as credits_charged, sum(b.cost_usd) as cost_usd
        from bound b group by b.user_id
    ), tenth as (
      -- each ranking's tenth known figure (null: fewer than ten accounts)
      select (select k.credits_charged from known k order by 1 desc offset 9 limit 1) as credits_charged,
             (select k.cost_usd from known k order by 1 desc offset 9 limit 1) as cost_usd,
             (select k.generations from known k order by 1 desc offset 9 limit 1) as generations
    ), candidates as (
      -- the accounts whose whole partial days could lift them to the tenth
      select u.user_id
        from upper u left join known k using (user_id), tenth t
       where t.credits_charged is null
          or coalesce(k.credits_charged, 0) + u.credits_charged >= t.credits_charged
          or coalesce(k.cost_usd, 0) + u.cost_usd >= t.cost_usd
          or coalesce(k.generations, 0) + u.generations >= t.generations
    ), many as (
      -- when most accounts of the partial days could still rank (every account alike), one scan
      -- of those days reads less than an index probe per account
      select count(*) > 1000 as yes from candidates
    ), probes as (
      select b.user_id, greatest(p_from, b.day::timestamp at time zone 'UTC') as lo,
             least(p_to, (b.day + 1)::timestamp at time zone 'UTC') as hi
        from bound b where b.user_id in (select c.user_id from candidates c) and not (select m.yes from many m)
    ), partial as (
      select x.account_id as user_id, x.generations, x.credits_charged, x.credits_refunded, x.cost_usd
        from monitoring_private.account_figures(array(select p.user_id from probes p), array(select p.lo from probes p),
                                                array(select p.hi from probes p)) x
      union all
      select s.user_id, s.generations, s.credits_charged, s.credits_refunded, s.cost_usd
        from unnest(v_partial) d (day),
             monitoring_private.user_day_rollup_source(greatest(p_from, d.day::timestamp at time zone 'UTC'),
                                                       least(p_to, (d.day + 1)::timestamp at time zone 'UTC')) s
       where (select m.yes from many m) and s.user_id in (select c.user_id from candidates c)
         and not exists (select 1 from dirty where dirty.account_id = s.user_id and dirty.day = s.day)
    ), totals as (
      select t.user_id, sum(t.generations)::bigint as generations, sum(t.credits_charged)::bigint as credits_charged,
             sum(t.credits_refunded)::bigint as credits_refunded, sum(t.cost_usd) as cost_usd
        from (select * from known union all select * from partial) t
       group by t.user_id
      having sum(t.generations) > 0
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
