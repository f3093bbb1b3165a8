-- user_day_rollup_source: the definition of monitoring.user_rollup_daily for the tasks started in
-- [p_from, p_to), of the users in p_users (null: everyone). The refresh writes its rows;
-- top_users reads it for the partial days of a range.
create or replace function monitoring_private.user_day_rollup_source(p_from timestamptz, p_to timestamptz, p_users uuid[] default null)
returns table (
  day date, user_id uuid, generations integer, credits_charged bigint, credits_refunded bigint, cost_usd numeric
)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  -- an empty range reads nothing (the BRIN index would still hand out a block range to recheck)
  if not p_from < p_to then return; end if;
  -- EXECUTE plans with the actual bounds, so the BRIN index on created_at serves the range.
  return query execute $q$
      select (t.created_at at time zone 'UTC')::date, t.account_id, count(*)::integer,
             coalesce(sum(t.charged), 0)::bigint, coalesce(sum(t.refunded), 0)::bigint,
             coalesce(sum(t.provider_cost_usd), 0)
        from credits_private.task_credits t
       where t.created_at >= $1 and t.created_at < $2
         and ($3 is null or t.account_id = any($3))
       group by 1, 2
  $q$ using p_from, p_to, p_users;
end;
$$;

comment on function monitoring_private.user_day_rollup_source(timestamptz, timestamptz, uuid[]) is
  'Raw-row definition of monitoring.user_rollup_daily for tasks started in [p_from, p_to), of some or all users.';
revoke all on function monitoring_private.user_day_rollup_source(timestamptz, timestamptz, uuid[]) from public;
