-- rebuild_user_windows: brings monitoring.user_rollup_window to p_today from
-- monitoring.user_rollup_daily: the 1, 7 and 30 days through p_today, the 6 and 29 through the
-- day before (their last days in monitoring.user_rollup_window_end). Recomputed, for every
-- window: the users in p_users (their tasks changed since the last refresh; of the windows
-- through yesterday only with p_past: an earlier day changed, a late result or a backfilled
-- refund), and when the windows end on an earlier day, the users of the days that leave or enter
-- a window (a few days' users, not everyone's). Everything when p_users is null, the windows were
-- never built, or they end more than a week back. Called by monitoring.refresh_rollups after the
-- daily per-user rows. Returns the rows written.
create or replace function monitoring_private.rebuild_user_windows(p_today date, p_users uuid[], p_past boolean)
returns integer
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
set jit to off
set work_mem to '64MB'
as $$
declare
  v_old date := (select e.through from monitoring.user_rollup_window_end e where e.days = 30);
  v_all boolean := p_users is null or v_old is null or v_old > p_today or v_old < p_today - 7;
  v_users uuid[] := p_users;
  v_rows integer;
begin
  if not v_all and v_old < p_today then
    -- The days each window gains or loses: their users' totals move, nobody else's.
    v_users := array(
      select distinct d.user_id
        from monitoring.user_rollup_daily d
       where d.day in (-- the days a window loses, and those it gains
                       select g::date
                         from monitoring_private.user_windows(p_today) w,
                              generate_series(w.through - (p_today - v_old) - w.days + 1, w.through - w.days, interval '1 day') g
                       union
                       select g::date
                         from monitoring_private.user_windows(p_today) w,
                              generate_series(w.through - (p_today - v_old) + 1, w.through, interval '1 day') g)
      union
      select unnest(p_users));
    p_past := true;
  end if;
  delete from monitoring.user_rollup_window w
   where v_all or (w.user_id = any(v_users)
                   and w.days in (select x.days from monitoring_private.user_windows(p_today) x where x.through = p_today or p_past));
  insert into monitoring.user_rollup_window (days, user_id, generations, credits_charged, credits_refunded, cost_usd)
  select w.days, d.user_id, sum(d.generations), sum(d.credits_charged), sum(d.credits_refunded), sum(d.cost_usd)
    from monitoring_private.user_windows(p_today) w
    join monitoring.user_rollup_daily d on d.day > w.through - w.days and d.day <= w.through
   where v_all or (d.user_id = any(v_users) and (w.through = p_today or p_past))
   group by w.days, d.user_id;
  get diagnostics v_rows = row_count;
  insert into monitoring.user_rollup_window_end as e (days, through)
  select w.days, w.through from monitoring_private.user_windows(p_today) w
  on conflict (days) do update set through = excluded.through where e.through is distinct from excluded.through;
  return v_rows;
end;
$$;

comment on function monitoring_private.rebuild_user_windows(date, uuid[], boolean) is
  'Brings the per-user window totals (monitoring.user_rollup_window) to a day: the users that moved, or all.';
revoke all on function monitoring_private.rebuild_user_windows(date, uuid[], boolean) from public;
