-- rollup_bounds: how a range [p_from, p_to) splits between the monitoring rollups and the raw
-- rows. Rollups cover whole UTC days from first_day (the first midnight at or after p_from) up
-- to cut (excluded): the day of the last refresh or the end of the range, whichever is earlier.
-- Before first_day and from cut on, figures come from the raw rows. cut = first_day: no rollup.
-- The raw edges are [p_from, head_to) and [tail_from, p_to), either of them possibly empty (the
-- sources read nothing for an empty range): every caller reads the same three parts.
-- p_as_of_refresh (a range of whole UTC days, checked by the caller): every day from the
-- rollups as of their last refresh, today's row included, no raw row read (first_day = p_from,
-- cut = p_to): the dashboard's reads, whose cost then does not grow with the daily volume.
create or replace function monitoring_private.rollup_bounds(p_from timestamptz, p_to timestamptz, p_as_of_refresh boolean default false)
returns table (first_day timestamptz, cut timestamptz, head_to timestamptz, tail_from timestamptz)
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
  ), r as (
    select case when p_as_of_refresh then p_from else f.first_day end as first_day,
           case when p_as_of_refresh then p_to else greatest(f.first_day, least(f.last_day, f.refreshed_day)) end as cut
      from f
  )
  -- no rollup day: the whole range is the head edge
  select r.first_day, r.cut,
         case when r.cut > r.first_day then r.first_day else p_to end,
         case when r.cut > r.first_day then r.cut else p_to end
    from r
$$;

comment on function monitoring_private.rollup_bounds(timestamptz, timestamptz, boolean) is
  'Splits a range into whole days served by the rollups and raw edges (none as of the last refresh).';
revoke all on function monitoring_private.rollup_bounds(timestamptz, timestamptz, boolean) from public;
