-- user_windows: the windows of monitoring.user_rollup_window for a day: the 1, 7 and 30 days
-- through p_today, the 6 and 29 through the day before (with the raw rows since, "the last 7 or
-- 30 days" to now). One list for the table's upkeep and its readers.
create or replace function monitoring_private.user_windows(p_today date)
returns table (days smallint, through date)
language sql
immutable
set search_path to pg_catalog, pg_temp
as $$
  values (1::smallint, p_today), (7::smallint, p_today), (30::smallint, p_today), (6::smallint, p_today - 1), (29::smallint, p_today - 1)
$$;

comment on function monitoring_private.user_windows(date) is 'The windows of monitoring.user_rollup_window ending on a day: their lengths and last days.';
revoke all on function monitoring_private.user_windows(date) from public;
