-- The integrity rules (migration 0006): each refuses what it should with 23514 and a message
-- naming the rule; NULLs pass as they did in separate CHECKs; legacy rows keep their exemptions.
begin;
set local search_path to public, tap;
select plan(29);

-- Tasks: a valid row to break one rule at a time.
create temp table task_row as
  select 'pending'::text status, 'rpc'::text origin, null::text failure_source, null::timestamptz completed_at,
         1 credits_used, null::numeric provider_cost_usd, '{}'::jsonb metadata;
create function pg_temp.insert_task(changes text) returns void language plpgsql as $$
begin
  execute format($q$
    insert into public.enhancement_tasks (user_id, task_type, provider, status, origin, failure_source,
                                          completed_at, credits_used, provider_cost_usd, metadata)
    select gen_random_uuid(), 'enhance', 'wavespeed', status, origin, failure_source,
           completed_at, credits_used, provider_cost_usd, metadata
      from (select %s from task_row) r $q$, changes);
end $$;

select lives_ok($$ select pg_temp.insert_task('*') $$, 'a pending task passes');
select lives_ok($$ select pg_temp.insert_task('''failed'' status, origin, ''timeout'' failure_source, now() completed_at, credits_used, 0 provider_cost_usd, metadata') $$,
  'a failed task with its time, source and a cost passes');
select throws_ok($$ select pg_temp.insert_task('''done'' status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '23514', 'enhancement_tasks row refused: status must be pending, processing, completed or failed, not ''done''',
  'an unknown status is refused, by name');
select throws_like($$ select pg_temp.insert_task('status, ''import'' origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%origin must be legacy or rpc%', 'an unknown origin is refused');
select throws_like($$ select pg_temp.insert_task('''failed'' status, origin, ''oops'' failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%failure_source must be callback, api_error, timeout or admin%', 'an unknown failure source is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, -1 credits_used, provider_cost_usd, metadata') $$,
  '%credits_used must not be negative%', 'a negative charge is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, credits_used, -0.01 provider_cost_usd, metadata') $$,
  '%provider_cost_usd must not be negative%', 'a negative cost is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, completed_at, credits_used, provider_cost_usd, ''[1]''::jsonb metadata') $$,
  '%metadata must be a JSON object, not array%', 'metadata that is not an object is refused');
select throws_like($$ select pg_temp.insert_task('''completed'' status, origin, failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%completed_at must be set exactly when the task is finished%', 'a finished task without completed_at is refused');
select throws_like($$ select pg_temp.insert_task('status, origin, failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%completed_at must be set exactly when the task is finished%', 'an unfinished task with completed_at is refused');
select throws_like($$ select pg_temp.insert_task('''completed'' status, origin, ''callback'' failure_source, now() completed_at, credits_used, provider_cost_usd, metadata') $$,
  '%only a failed task has a failure_source%', 'a completed task with a failure source is refused');
select lives_ok($$ select pg_temp.insert_task('''completed'' status, ''legacy'' origin, ''callback'' failure_source, completed_at, credits_used, provider_cost_usd, metadata') $$,
  'legacy tasks are exempt from the lifecycle rules');
select throws_like($$ update enhancement_tasks set status = 'completed' where status = 'pending' and origin = 'rpc' $$,
  '%completed_at must be set%', 'updates are checked too');

-- Ledger rows.
select lives_ok($$ insert into credit_transactions (user_id, amount, monthly_amount, type) values (gen_random_uuid(), -3, -2, 'usage') $$,
  'a charge split between the buckets passes');
select throws_ok($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'gift') $$,
  '23514', 'credit_transactions row refused: type must be usage, refund, allocation, expiration, purchase, adjustment or tier_upgrade, not ''gift''',
  'an unknown ledger type is refused, by name');
select throws_like($$ insert into credit_transactions (user_id, amount, type, origin) values (gen_random_uuid(), 5, 'purchase', 'import') $$,
  '%origin must be legacy, rpc, sweeper, adoption or backfill%', 'an unknown ledger origin is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'usage') $$,
  '%amount 5 has the wrong sign for type ''usage''%', 'a positive usage is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), -5, 'refund') $$,
  '%amount -5 has the wrong sign for type ''refund''%', 'a negative refund is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 0, 'adjustment') $$,
  '%wrong sign%', 'an adjustment of nothing is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, monthly_amount, type) values (gen_random_uuid(), -3, -4, 'usage') $$,
  '%monthly_amount -4 must lie between 0 and amount -3%', 'a monthly part larger than the amount is refused');
select lives_ok($$ insert into credit_transactions (user_id, amount, monthly_amount, promotional_amount, type) values (gen_random_uuid(), -5, -2, -3, 'usage') $$,
  'a charge split among the three buckets passes');
select lives_ok($$ insert into credit_transactions (user_id, amount, type, origin) values (gen_random_uuid(), 7, 'usage', 'legacy') $$,
  'legacy ledger rows keep their original signs');

-- Accounts.
select lives_ok($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, period_start) values (gen_random_uuid(), 5, 2, 3, '2026-11-01') $$,
  'an account whose buckets add up passes');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), 5, 1, 1) $$,
  '%credits 5 must equal monthly_credits 1 + purchased_credits 1 + promotional_credits 0%', 'buckets that do not add up are refused');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, promotional_credits) values (gen_random_uuid(), 5, 1, 1, 2) $$,
  '%credits 5 must equal monthly_credits 1 + purchased_credits 1 + promotional_credits 2%', 'the promotional bucket is part of the sum');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, promotional_credits) values (gen_random_uuid(), 0, 1, 0, -1) $$,
  '%no balance or counter may be negative%', 'a negative promotional bucket is refused');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), -1, 0, -1) $$,
  '%no balance or counter may be negative%', 'a negative balance is refused');
select throws_like($$ insert into user_credits (user_id, period_start) values (gen_random_uuid(), '2026-11-02') $$,
  '%period_start must be the first day of a month, not 2026-11-02%', 'a period that does not start on the first is refused');

select is(
  (select array_agg(conname::text order by conname) from pg_constraint
    where contype = 'c' and conrelid in ('enhancement_tasks'::regclass, 'credit_transactions'::regclass, 'user_credits'::regclass)),
  array['credit_transactions_row_check', 'enhancement_tasks_row_check', 'user_credits_row_check'],
  'one check per table');

select * from finish();
rollback;
