-- rollup_bounds: how a range [p_from, p_to) splits between the monitoring rollups and the raw
-- rows. Rollups cover whole UTC days from first_day (the first midnight at or after p_from) up
-- to cut (excluded): the day of the last refresh or the end of the range, whichever is earlier.
-- Before first_day and from cut on, figures come from the raw rows. cut = first_day: no rollup.
-- p_as_of_refresh (a range of whole UTC days, checked by the caller): every day from the
-- rollups as of their last refresh, today's row included, no raw row read (first_day = p_from,
-- cut = p_to): the dashboard's reads, whose cost then does not grow with the daily volume.
create or replace function credits_private.rollup_bounds(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (first_day timestamptz, cut timestamptz)
language sql
stable
set search_path to pg_catalog, pg_temp
as $$
  with b as (
    select date_trunc('day', p_from at time zone 'UTC') at time zone 'UTC' as from_day,
           date_trunc('day', p_to at time zone 'UTC') at time zone 'UTC' as last_day,
           coalesce((select date_trunc('day', s.watermark at time zone 'UTC') at time zone 'UTC'
                       from monitoring.rollup_state s where s.name = 'rollups'), '-infinity') as refreshed_day
  ), f as (
    select case when b.from_day < p_from then b.from_day + interval '1 day' else b.from_day end as first_day, b.*
      from b
  )
  select case when p_as_of_refresh then p_from else f.first_day end,
         case when p_as_of_refresh then p_to else greatest(f.first_day, least(f.last_day, f.refreshed_day)) end
    from f
$$;

comment on function credits_private.rollup_bounds(timestamptz, timestamptz, boolean) is
  'Splits a range into whole days served by the rollups and raw edges (none as of the last refresh).';
revoke all on function credits_private.rollup_bounds(timestamptz, timestamptz, boolean) from public;
