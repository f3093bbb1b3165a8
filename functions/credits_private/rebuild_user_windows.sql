-- rebuild_user_windows: brings monitoring.user_rollup_window to p_today from
-- monitoring.user_rollup_daily: the 1, 7 and 30 days through p_today, the 6 and 29 through the
-- day before. When the windows end on another day (the day changed, or they were never built)
-- or p_users is null, every row is rebuilt. Else only those users' rows (their tasks changed
-- since the last refresh): of the windows through today, and with p_past (an earlier day
-- changed: a late result, a backfilled refund) of those through yesterday too. Called by
-- monitoring.refresh_rollups after the daily per-user rows. Returns the rows written.
create or replace function credits_private.rebuild_user_windows(p_today date, p_users uuid[], p_past boolean)
returns integer
language plpgsql
volatile
set search_path to pg_catalog, pg_temp
set jit to off
set work_mem to '64MB'
as $$
declare
  v_all boolean := p_users is null
    or (select w.through from monitoring.user_rollup_window w where w.days = 30 limit 1) is distinct from p_today;
  v_rows integer;
begin
  delete from monitoring.user_rollup_window w
   where v_all or (w.user_id = any(p_users) and (w.days in (1, 7, 30) or p_past));
  insert into monitoring.user_rollup_window (days, through, user_id, generations, credits_charged, credits_refunded, cost_usd)
  select w.days, w.through, d.user_id, sum(d.generations), sum(d.credits_charged), sum(d.credits_refunded), sum(d.cost_usd)
    from (values (1, p_today), (7, p_today), (30, p_today), (6, p_today - 1), (29, p_today - 1)) w(days, through)
    join monitoring.user_rollup_daily d on d.day > w.through - w.days and d.day <= w.through
   where v_all or (d.user_id = any(p_users) and (w.days in (1, 7, 30) or p_past))
   group by w.days, w.through, d.user_id;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;

comment on function credits_private.rebuild_user_windows(date, uuid[], boolean) is
  'Brings the per-user window totals (monitoring.user_rollup_window) to a day, for some users or all.';
revoke all on function credits_private.rebuild_user_windows(date, uuid[], boolean) from public;
