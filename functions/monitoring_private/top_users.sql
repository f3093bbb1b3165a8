-- top_users: the 10 users of the tasks started in [p_from, p_to) with the most credits charged
-- (ranking 'credits'), provider cost ('cost') and generations ('generations'), exactly, ties by
-- user id. When one of monitoring.user_rollup_window's windows lies within the range's whole
-- days (the dashboard's periods, and "the last 7 or 30 days" to now), only the window's
-- ten leaders of each ranking and the users of the rest of the range are summed: a user outside
-- both cannot rank, since every figure only grows as days are added, and the ten leaders stood
-- above it in the window already. Otherwise every user of the range is summed
-- (monitoring.user_rollup_daily for whole days, the raw edges): a cost that follows the range's
-- active users.
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
  v_first date;      -- the whole days [v_first, v_cut) come from the rollups, the rest is raw
  v_cut date;
  v_head_to timestamptz;
  v_tail_from timestamptz;
  v_today date := (select e.through from monitoring.user_rollup_window_end e where e.days = 30);
  v_days smallint;
  v_through date;
  -- the range outside the window, per user (columns of one row set)
  v_users uuid[];
  v_generations bigint[];
  v_credits bigint[];
  v_refunded bigint[];
  v_cost numeric[];
  v_candidates uuid[];
begin
  select (b.first_day at time zone 'UTC')::date, (b.cut at time zone 'UTC')::date, b.head_to, b.tail_from
    into v_first, v_cut, v_head_to, v_tail_from
    from monitoring_private.rollup_bounds(p_from, p_to, p_as_of_refresh) b;
  -- the longest window within the whole days
  select w.days, w.through into v_days, v_through
    from monitoring_private.user_windows(v_today) w
   where w.through - w.days + 1 >= v_first and w.through < v_cut
   order by w.days desc limit 1;

  -- The whole days outside the window (all of them when there is none) and the raw edges.
  select array_agg(x.user_id), array_agg(x.generations), array_agg(x.credits_charged), array_agg(x.credits_refunded), array_agg(x.cost_usd)
    into v_users, v_generations, v_credits, v_refunded, v_cost
    from (select p.user_id, sum(p.generations)::bigint as generations, sum(p.credits_charged)::bigint as credits_charged,
                 sum(p.credits_refunded)::bigint as credits_refunded, sum(p.cost_usd) as cost_usd
            from (select d.user_id, d.generations, d.credits_charged, d.credits_refunded, d.cost_usd
                    from monitoring.user_rollup_daily d
                   where d.day >= v_first and d.day < v_cut and v_days is null
                  union all
                  select d.user_id, d.generations, d.credits_charged, d.credits_refunded, d.cost_usd
                    from monitoring.user_rollup_daily d
                   where d.day >= v_first and d.day <= v_through - v_days
                  union all
                  select d.user_id, d.generations, d.credits_charged, d.credits_refunded, d.cost_usd
                    from monitoring.user_rollup_daily d
                   where d.day > v_through and d.day < v_cut
                  union all
                  select s.user_id, s.generations, s.credits_charged, s.credits_refunded, s.cost_usd
                    from monitoring_private.user_day_rollup_source(p_from, v_head_to) s
                  union all
                  select s.user_id, s.generations, s.credits_charged, s.credits_refunded, s.cost_usd
                    from monitoring_private.user_day_rollup_source(v_tail_from, p_to) s) p
           group by p.user_id) x;

  -- Each ranking's ten leaders of the window, in its order (ties by user id: a user tied with the
  -- tenth has a larger id than every leader it ties with), and the users of the rest.
  if v_days is not null then
    v_candidates := array(
      (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.credits_charged desc, w.user_id limit 10)
      union
      (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.cost_usd desc, w.user_id limit 10)
      union
      (select w.user_id from monitoring.user_rollup_window w where w.days = v_days order by w.generations desc, w.user_id limit 10)
      union
      select unnest(v_users));
  end if;

  return query
    with totals as (
      select x.user_id, sum(x.generations)::bigint as generations, sum(x.credits_charged)::bigint as credits_charged,
             sum(x.credits_refunded)::bigint as credits_refunded, sum(x.cost_usd) as cost_usd
        from (select * from unnest(v_users, v_generations, v_credits, v_refunded, v_cost)
                       as r(user_id, generations, credits_charged, credits_refunded, cost_usd)
              union all
              select w.user_id, w.generations::bigint, w.credits_charged, w.credits_refunded, w.cost_usd
                from monitoring.user_rollup_window w
               where w.days = v_days and w.user_id = any(v_candidates)) x
       group by x.user_id
    )
    -- three top-10 heap sorts (not three sorts of every candidate)
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
  'The 10 users with the most credits charged, provider cost and generations for tasks started in a range, exactly.';
revoke all on function monitoring_private.top_users(timestamptz, timestamptz, boolean) from public;
