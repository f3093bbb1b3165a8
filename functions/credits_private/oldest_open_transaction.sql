-- oldest_open_transaction: the start of the oldest transaction still open in this database (the
-- caller's own included), from pg_stat_activity. A task's timestamps are its writer's now(), the
-- start of its transaction, so a transaction that has not committed yet can only add rows stamped
-- at or after this instant: the low-water marks of the sweeper and of the rollup refresh never
-- pass it (credits_private.in_flight_horizon).
-- Result: null when it cannot be known, and the caller must then keep its mark where it is: the
-- owner may not see other roles' sessions (it needs pg_read_all_stats; superusers and Supabase's
-- postgres have it), a session runs with track_activities off, a prepared transaction is pending
-- (its start is not recorded), or the caller runs above READ COMMITTED (its snapshot, taken
-- before this read, could miss a transaction that commits in between).
-- Autovacuum workers are left out: they never write tasks and a long vacuum would hold the marks.
create or replace function credits_private.oldest_open_transaction()
returns timestamptz
language sql
volatile
set search_path to pg_catalog, pg_temp
as $$
  select case
           when not pg_has_role('pg_read_all_stats', 'usage')
             or current_setting('transaction_isolation') <> 'read committed'
             or bool_or(a.state = 'disabled')
             or exists (select 1 from pg_prepared_xacts p where p.database = current_database())
           then null
           else min(a.xact_start)
         end
    from pg_stat_activity a
   where a.datid = (select d.oid from pg_database d where d.datname = current_database())
     and a.backend_type <> 'autovacuum worker';
$$;

comment on function credits_private.oldest_open_transaction() is
  'Start of the oldest transaction open in this database, or null when that cannot be known.';
revoke all on function credits_private.oldest_open_transaction() from public;
