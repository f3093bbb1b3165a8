-- rollup_parts: how a range [p_from, p_to) of task start times splits into parts, each read from
-- the raw rows ('raw'), the hourly rollups ('hourly') or the daily ones ('daily'), so that the
-- sum of the parts is exact and reads as few raw rows as it can:
--   - raw: the partial hours at the range's edges; every hour from the last refresh's watermark
--     on (less the sweeper's margin: what that refresh may not have seen); and each earlier hour
--     holding a task changed since then (monitoring_private.changed_tasks: a late finish, a
--     refund, a late result);
--   - daily: the whole UTC days holding none of those hours;
--   - hourly: the rest.
-- Before any refresh (or right after migration 0034) the whole range is raw.
-- p_as_of_refresh (a range of whole UTC days, checked by the caller): one daily part, today's row
-- as of the last refresh included, no raw row read: the dashboard's reads, whose cost then does
-- not grow with the daily volume.
create or replace function monitoring_private.rollup_parts(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (kind text, part_from timestamptz, part_to timestamptz)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
declare
  v_watermark timestamptz;
  v_in_flight_since timestamptz;
  v_since timestamptz;
  v_first timestamptz;      -- the first whole hour of the range
  v_last timestamptz;       -- the end of the last whole hour the rollups may serve
  v_at timestamptz;
  v_dirty timestamptz;
  v_day timestamptz;
begin
  if not p_from < p_to then return; end if;
  if p_as_of_refresh then
    return query select 'daily'::text, p_from, p_to;
    return;
  end if;

  select s.watermark, s.in_flight_since into v_watermark, v_in_flight_since
    from monitoring.rollup_state s where s.name = 'rollups';
  v_since := v_watermark - coalesce((select s.margin from credits_private.sweeper_state s where s.name = 'sweeper'),
                                    interval '10 minutes');
  v_first := date_trunc('hour', p_from, 'UTC');
  if v_first < p_from then v_first := v_first + interval '1 hour'; end if;
  v_last := least(date_trunc('hour', p_to, 'UTC'), date_trunc('hour', v_since, 'UTC'));
  if v_watermark is null or v_watermark = '-infinity' or not v_first < v_last then
    return query select 'raw'::text, p_from, p_to;
    return;
  end if;

  if p_from < v_first then return query select 'raw'::text, p_from, v_first; end if;
  v_at := v_first;
  -- Walk the clean hours between the changed ones (few: they are sorted and distinct).
  for v_dirty in
    select distinct date_trunc('hour', c.created_at, 'UTC')
      from monitoring_private.changed_tasks(v_since, v_in_flight_since) c
     where c.created_at >= v_first and c.created_at < v_last
     union all select v_last
     order by 1
  loop
    -- [v_at, v_dirty): whole days from the daily rollups, the hours around them from the hourly ones
    if v_at < v_dirty then
      v_day := date_trunc('day', v_at, 'UTC');
      if v_day < v_at then v_day := v_day + interval '1 day'; end if;
      if v_day + interval '1 day' <= v_dirty then
        if v_at < v_day then return query select 'hourly'::text, v_at, v_day; end if;
        return query select 'daily'::text, v_day, date_trunc('day', v_dirty, 'UTC');
        v_at := date_trunc('day', v_dirty, 'UTC');
      end if;
      if v_at < v_dirty then return query select 'hourly'::text, v_at, v_dirty; end if;
    end if;
    if v_dirty < v_last then return query select 'raw'::text, v_dirty, v_dirty + interval '1 hour'; end if;
    v_at := v_dirty + interval '1 hour';
  end loop;
  if v_last < p_to then return query select 'raw'::text, v_last, p_to; end if;
end;
$$;

comment on function monitoring_private.rollup_parts(timestamptz, timestamptz, boolean) is
  'Splits a range of task start times into parts read from the raw rows, the hourly or the daily rollups, exactly.';
revoke all on function monitoring_private.rollup_parts(timestamptz, timestamptz, boolean) from public;
