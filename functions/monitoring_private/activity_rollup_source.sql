-- activity_rollup_source: the definition of monitoring.activity_rollup_weekly for the tasks
-- started in [p_from, p_to) (callers pass ISO week boundaries): users active in each week, and
-- those with no generation before it.
create or replace function monitoring_private.activity_rollup_source(p_from timestamptz, p_to timestamptz)
returns table (week date, active_users integer, new_users integer, generations integer)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
-- JIT compiles for tens of ms to save less on these short scans
set jit to off
as $$
begin
  -- an empty range reads nothing (the BRIN index would still hand out a block range to recheck)
  if not p_from < p_to then return; end if;
  -- EXECUTE plans with the actual bounds, so the BRIN index on created_at serves the range
  -- (a plain SQL body with a pinned search_path is not inlined and gets a generic plan).
  return query execute $q$
      with per_user as (
        select date_trunc('week', t.created_at at time zone 'UTC')::date as week, t.user_id, count(*) as n
          from public.enhancement_tasks t
         where t.created_at >= $1 and t.created_at < $2
         group by 1, 2
      )
      select u.week, count(*)::integer,
             count(*) filter (where not exists (
               select 1 from public.enhancement_tasks e
                where e.user_id = u.user_id and e.created_at < (u.week::timestamp at time zone 'UTC')))::integer,
             sum(u.n)::integer
        from per_user u
       group by u.week
  $q$ using p_from, p_to;
end;
$$;

comment on function monitoring_private.activity_rollup_source(timestamptz, timestamptz) is
  'Raw-row definition of monitoring.activity_rollup_weekly for tasks started in [p_from, p_to).';
revoke all on function monitoring_private.activity_rollup_source(timestamptz, timestamptz) from public;
