-- user_rollup_source: the definition of monitoring.user_rollup_monthly for the tasks started in
-- [p_from, p_to) (callers pass month boundaries), of the users in p_users (null: everyone). A
-- "user" is the account that paid: a team for its members' generations (contract §12).
-- unpriced: completed tasks with no provider cost (as in task_rollup_source); credits_settled:
-- what settlements gave back (contract §11), apart from the failures' refunds.
create or replace function monitoring_private.user_rollup_source(p_from timestamptz, p_to timestamptz, p_users uuid[] default null)
returns table (
  month date, user_id uuid, generations integer, completed integer, failed integer,
  credits_charged bigint, credits_refunded bigint, cost_usd numeric, unpriced integer, credits_settled bigint
)
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
      select date_trunc('month', t.created_at at time zone 'UTC')::date, t.account_id,
             count(*)::integer,
             count(*) filter (where t.status = 'completed')::integer,
             count(*) filter (where t.status = 'failed')::integer,
             coalesce(sum(t.charged), 0)::bigint,
             coalesce(sum(t.refunded), 0)::bigint,
             coalesce(sum(t.provider_cost_usd), 0),
             count(*) filter (where t.status = 'completed' and t.provider_cost_usd is null)::integer,
             coalesce(sum(t.settled), 0)::bigint
        from credits_private.task_credits t
       where t.created_at >= $1 and t.created_at < $2
         and ($3 is null or t.account_id = any($3))
       group by 1, 2
  $q$ using p_from, p_to, p_users;
end;
$$;

comment on function monitoring_private.user_rollup_source(timestamptz, timestamptz, uuid[]) is
  'Raw-row definition of monitoring.user_rollup_monthly for tasks started in [p_from, p_to), of some or all users.';
revoke all on function monitoring_private.user_rollup_source(timestamptz, timestamptz, uuid[]) from public;
