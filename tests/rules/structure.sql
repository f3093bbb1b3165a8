-- Structure and privileges: tables, constraints, RLS, roles and who may execute what.
begin;
set local search_path to public, tap;
select plan(38);

select has_table('public', t, 'table ' || t || ' exists')
  from unnest(array['user_credits', 'credit_transactions', 'enhancement_tasks', 'credit_tiers', 'provider_prices']) t;

select has_column('public', 'user_credits', c, 'user_credits.' || c)
  from unnest(array['monthly_credits', 'purchased_credits', 'period_start']) c;
select has_column('public', 'enhancement_tasks', c, 'enhancement_tasks.' || c)
  from unnest(array['model', 'provider_cost_usd', 'failure_source', 'submitted_at', 'idempotency_key']) c;

select results_eq(
  $$ select tier, monthly_allowance from credit_tiers where tier in ('free', 'basic', 'pro') order by monthly_allowance $$,
  $$ values ('free', 10), ('basic', 100), ('pro', 500) $$,
  'tiers are seeded as data: free 10, basic 100, pro 500');

select has_index('public', 'credit_transactions', 'credit_transactions_task_id_type_key', 'one charge and one refund per task');
select has_index('public', 'enhancement_tasks', 'enhancement_tasks_created_at_brin', 'the sweeper reads recent tasks through a BRIN index');

select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity
      and c.relname in ('user_credits', 'credit_transactions', 'enhancement_tasks', 'credit_tiers', 'provider_prices')),
  0, 'row-level security is enabled on every ledger table');

select throws_ok(
  $$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), 5, 1, 1) $$,
  '23514', null, 'credits must equal monthly + purchased');
select throws_ok(
  $$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), -1, 0, -1) $$,
  '23514', null, 'a balance is never negative');
select throws_ok(
  $$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'gift') $$,
  '23514', null, 'ledger types are the contract''s');

select ok(not exists (select 1 from pg_roles where rolname in ('credits_service', 'credits_analyst', 'anon', 'authenticated') and rolcanlogin)
      and (select count(*) from pg_roles where rolname in ('credits_service', 'credits_analyst', 'anon', 'authenticated')) = 4,
  'the four roles exist, NOLOGIN');

-- Every function of the package pins its search_path (procedures cannot: a SET clause forbids
-- COMMIT; the *_in_batches procedures are SECURITY INVOKER and qualify every name).
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private') and p.proname <> 'consume_platform_credits' and p.prokind = 'f'
     and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%') $$,
  'every function pins search_path');
-- A procedure that COMMITs may have neither SET nor SECURITY DEFINER: it runs with its caller's rights.
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private') and p.prokind = 'p' and (p.prosecdef or p.proconfig is not null) $$,
  'every procedure is SECURITY INVOKER');

-- Nothing is executable by PUBLIC or anon; authenticated gets its own balance, history and statement only.
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private') and has_function_privilege('anon', p.oid, 'execute') $$,
  'anon executes no function');
select results_eq($$
  select p.proname::text collate "default" from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('public', 'credits_private', 'monitoring', 'monitoring_private') and has_function_privilege('authenticated', p.oid, 'execute')
   order by 1 $$,
  $$ values ('my_credit_balance'), ('my_credit_history'), ('my_credit_statement'), ('my_promotional_grants'), ('my_team_balances') $$,
  'authenticated executes its own balance, history, statement, grants and teams only');
select results_eq($$
  select p.proname::text collate "default" from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'public' and has_function_privilege('credits_service', p.oid, 'execute') order by 1 $$,
  $$ values ('add_team_member'), ('admin_credit_stats'), ('allocate_monthly_credits'), ('allocate_monthly_credits_in_batches'), ('backfill_missing_refunds'), ('change_tier'), ('claim_credit_events'), ('claim_generations_to_reconcile'), ('close_ledger'),
            ('complete_credit_events'), ('complete_generation'), ('credit_balance_at'), ('credit_history'), ('credit_statement'), ('decline_top_up'), ('drain_stale_generations'), ('ensure_credit_account'), ('ensure_team_account'),
            ('expire_promotional_credits'), ('expire_promotional_credits_in_batches'), ('expire_stale_generations'),
            ('expire_stale_generations_in_batches'), ('fail_generation'), ('get_auto_top_up'), ('get_credit_balance'), ('get_generation'), ('grant_credits'),
            ('grant_promotional_credits'), ('list_team_members'), ('mark_generation_submitted'), ('promotional_grants'),
            ('record_provider_result'), ('remove_team_member'), ('revoke_credits'), ('run_monthly_allocation'), ('set_auto_top_up'), ('set_credit_limits'), ('set_low_balance_threshold'),
            ('start_generation'), ('team_member_statement'), ('upsert_credit_tier'), ('verify_ledger'), ('verify_open_period'), ('void_promotional_grant') $$,
  'credits_service executes the RPC functions');
select ok(has_function_privilege('credits_analyst', 'public.verify_ledger()', 'execute')
      and not has_function_privilege('credits_analyst', 'public.start_generation(uuid,text,text,text,integer,text,jsonb,uuid)', 'execute'),
  'credits_analyst verifies the ledger and cannot charge');
select is_empty($$
  select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname in ('credits_private', 'monitoring_private')
     and (has_function_privilege('credits_service', p.oid, 'execute') or has_function_privilege('credits_analyst', p.oid, 'execute')) $$,
  'private helpers (ledger and monitoring) are executable by nobody but their owner');
select ok(not has_schema_privilege('credits_analyst', 'monitoring_private', 'usage')
      and not has_schema_privilege('credits_service', 'monitoring_private', 'usage'),
  'monitoring''s internals are not an API: no role may use their schema');

-- Table privileges: anon nothing, authenticated and the service read, nobody writes.
select ok(not has_table_privilege('anon', 'public.' || t, 'select'), 'anon cannot read ' || t)
  from unnest(array['user_credits', 'credit_transactions', 'enhancement_tasks']) t;
-- reads: every column of user_credits, the user-facing columns of the other two (22_end_user_columns)
select ok(has_any_column_privilege('authenticated', 'public.' || t, 'select')
      and not has_any_column_privilege('authenticated', 'public.' || t, 'insert, update')
      and not has_table_privilege('authenticated', 'public.' || t, 'delete, truncate'),
  'authenticated reads, never writes, ' || t)
  from unnest(array['user_credits', 'credit_transactions', 'enhancement_tasks']) t;
select ok(not has_table_privilege('credits_service', 'public.' || t, 'insert, update, delete, truncate'),
  'credits_service writes ' || t || ' only through the functions')
  from unnest(array['user_credits', 'credit_transactions', 'enhancement_tasks']) t;

select * from finish(true);
rollback;
