-- changed_tasks: the tasks whose figures in the rollups may have changed since p_since: started
-- or finished since then (a task that finished was in flight at the last refresh, so it started
-- at or after p_in_flight_since), refunded since then (a backfill of legacy failures), or given
-- a late provider result since then. created_at, and the account that paid (the per-user
-- rollups' key). refresh_rollups recomputes from the earliest of them; the live reads read their
-- hours and accounts from the raw rows. Reads the BRIN indexes on created_at; no index on a
-- task's changing columns (they would cost the hot path its HOT updates).
-- Rows are stamped with their transaction's start, and p_since is the start of the oldest
-- transaction open at the last refresh less a margin: every change that refresh could not see
-- is here.
create or replace function monitoring_private.changed_tasks(p_since timestamptz, p_in_flight_since timestamptz)
returns table (created_at timestamptz, account_id uuid)
language plpgsql
stable
set search_path to pg_catalog, pg_temp
set jit to off
as $$
begin
  -- EXECUTE plans with the actual bounds, so the BRIN indexes serve them.
  return query execute $q$
    select t.created_at, coalesce(t.account_id, t.user_id) from public.enhancement_tasks t
     where t.created_at >= least($1, $2)
       and (t.created_at >= $1 or t.completed_at >= $1)
    union all
    select t.created_at, coalesce(t.account_id, t.user_id) from public.credit_transactions r
      join public.enhancement_tasks t on t.id = r.task_id
     where r.created_at >= $1 and r.type = 'refund'
    union all
    -- a late success changes the cost of a task that finished long ago
    select t.created_at, coalesce(t.account_id, t.user_id) from credits_private.late_results l
      join public.enhancement_tasks t on t.id = l.task_id
     where l.recorded_at >= $1
  $q$ using p_since, p_in_flight_since;
end;
$$;

comment on function monitoring_private.changed_tasks(timestamptz, timestamptz) is
  'Start time and paying account of the tasks whose rollup figures may have changed since an instant.';
revoke all on function monitoring_private.changed_tasks(timestamptz, timestamptz) from public;
