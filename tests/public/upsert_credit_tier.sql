-- upsert_credit_tier: creates a tier or replaces every value of one, defaults included (an omitted
-- threshold or limit becomes null, an omitted rollover cap 0); the allowance reaches an account at
-- its next period, the threshold (of accounts without their own) and the limits at once; accounts
-- counts the tier's accounts; a tier with accounts cannot be deleted; refusals change nothing.
-- (Rollover caps at a period change: tests/rules/rollover.sql.)
begin;
set local search_path to public, tap;
select plan(53);

create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
create temp table u (name text primary key, id uuid);
insert into u values
  ('a1', '00000000-0000-0000-0000-0000000029b1'), ('a2', '00000000-0000-0000-0000-0000000029b2'),
  ('own', '00000000-0000-0000-0000-0000000029b3'), ('other', '00000000-0000-0000-0000-0000000029b4');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
-- Moves an account back one period: its period_start and its rows' one month earlier (nothing else).
create function pg_temp.back_one_period(p_name text) returns void language sql as $$
  update user_credits set period_start = (period_start - interval '1 month')::date where user_id = pg_temp.id(p_name);
  update credit_transactions set period_start = (period_start - interval '1 month')::date
   where user_id = pg_temp.id(p_name) and period_start is not null $$;
create function pg_temp.stored(p_tier text)
  returns table (monthly_allowance integer, low_balance_threshold integer, max_in_flight integer, daily_credit_limit integer, rollover_cap integer)
  language sql as $$ select monthly_allowance, low_balance_threshold, max_in_flight, daily_credit_limit, rollover_cap
                       from credit_tiers where tier = p_tier $$;

-- 1. Creates a tier; replaces every value, defaults included.
select results_eq($$ select * from upsert_credit_tier('edit', 100) $$,
  $$ values ('edit', 100, null::integer, null::integer, null::integer, 0, true, 0::bigint) $$,
  'a new tier: created, no accounts, the defaults (no threshold, no limits, cap 0)');
select results_eq($$ select * from upsert_credit_tier('edit', 120, 20, 5, 500, 30) $$,
  $$ values ('edit', 120, 20, 5, 500, 30, false, 0::bigint) $$, 'an existing tier: every value replaced, created false');
select results_eq($$ select * from pg_temp.stored('edit') $$, $$ values (120, 20, 5, 500, 30) $$, 'as stored in credit_tiers');
select results_eq($$ select * from upsert_credit_tier('edit', 100) $$,
  $$ values ('edit', 100, null::integer, null::integer, null::integer, 0, false, 0::bigint) $$,
  'omitted arguments replace too: threshold and limits become null, the rollover cap 0');
select results_eq($$ select * from pg_temp.stored('edit') $$, $$ values (100, null::integer, null::integer, null::integer, 0) $$,
  'as stored in credit_tiers');

-- 2. accounts counts the tier's accounts.
select ensure_credit_account(id, 'edit') from u where name in ('a1', 'a2', 'own');
select ensure_credit_account(pg_temp.id('other'), 'basic');
select set_low_balance_threshold(pg_temp.id('own'), 5);
select results_eq($$ select created, accounts from upsert_credit_tier('edit', 100) $$, $$ values (false, 3::bigint) $$,
  'accounts: the three accounts on the tier, not the one on another');

-- 3. A changed allowance reaches an account only at its next period.
select pg_temp.start('a1', 10);  -- 90 monthly credits left
select results_eq($$ select monthly_allowance, rollover_cap, accounts from upsert_credit_tier('edit', 200, null, null, null, 10) $$,
  $$ values (200, 10, 3::bigint) $$, 'allowance: raised to 200 (and a cap of 10)');
select results_eq($$ select total_credits, monthly_credits from get_credit_balance(pg_temp.id('a1')) $$,
  $$ values (90::bigint, 90::bigint) $$, 'allowance: this period''s balance is unchanged');
select results_eq($$ select credits, monthly_allowance from user_credits where user_id = pg_temp.id('a2') $$,
  $$ values (100::bigint, 100::bigint) $$, 'allowance: nothing is granted now; the period''s allowance stays 100');
select results_eq($$ select monthly_allowance from get_credit_balance(pg_temp.id('a2')) $$, $$ values (100) $$,
  'allowance: the balance reports this period''s allowance, not the edited one');
select pg_temp.back_one_period('a1');
select results_eq($$ select balance from start_generation(pg_temp.id('a1'), 'image', 'wavespeed', 'nano-banana', 5) $$,
  $$ values (205::bigint) $$, 'allowance: at its next period the account gets 200 (10 carried, the cap read then) - 5');
select results_eq($$ select amount, description like '%(10 unused credits carried over)' from credit_transactions
                     where user_id = pg_temp.id('a1') and type = 'allocation' and period_start = (select this_month from p) $$,
  $$ values (200::bigint, true) $$, 'allowance: the allocation row of the new period is the new allowance');
select pg_temp.back_one_period('a2');
select results_eq($$ select monthly_allowance, monthly_credits from get_credit_balance(pg_temp.id('a2')) $$,
  $$ values (200, 210::bigint) $$, 'allowance: a read of an account whose next period has come shows the new allowance');
select results_eq($$ select accounts, credits_allocated from allocate_monthly_credits((select this_month from p)) $$,
  $$ values (1, 200::bigint) $$, 'allowance: the batch grants the new allowance');
select results_eq($$ select credits, monthly_allowance from user_credits where user_id = pg_temp.id('a2') $$,
  $$ values (210::bigint, 200::bigint) $$, 'allowance: the account has it');
select results_eq($$ select credits, monthly_allowance from user_credits where user_id = pg_temp.id('own') $$,
  $$ values (100::bigint, 100::bigint) $$, 'allowance: an account still in its period keeps this period''s');

-- 4. A changed threshold reaches the accounts without their own at once.
select results_eq($$ select low_balance_threshold from upsert_credit_tier('edit', 200, 50) $$, $$ values (50) $$,
  'threshold: set to 50');
select results_eq($$ select u.name, uc.low_balance_threshold from u join user_credits uc on uc.user_id = u.id order by u.name $$,
  $$ values ('a1', 50), ('a2', 50), ('other', null::integer), ('own', 5) $$,
  'threshold: the tier''s accounts have it at once; not one with its own, nor one of another tier');
select results_eq($$ select low_balance_threshold from get_credit_balance(pg_temp.id('a2')) $$, $$ values (50) $$,
  'threshold: the balance shows it');
select pg_temp.start('a1', 160);  -- 205 -> 45: crosses 50
select results_eq($$ select kind, balance, threshold from credits_private.credit_events where user_id = pg_temp.id('a1') $$,
  $$ values ('low_balance', 45::bigint, 50) $$, 'threshold: a charge crossing it writes a low_balance event');
select pg_temp.start('own', 60);  -- 100 -> 40: crosses the tier's 50, not its own 5
select is_empty($$ select * from credits_private.credit_events where user_id = pg_temp.id('own') $$,
  'threshold: an account with its own is not held to the tier''s');
select results_eq($$ select low_balance_threshold from upsert_credit_tier('edit', 200) $$, $$ values (null::integer) $$,
  'threshold: omitted, it becomes null');
select results_eq($$ select u.name, uc.low_balance_threshold from u join user_credits uc on uc.user_id = u.id order by u.name $$,
  $$ values ('a1', null::integer), ('a2', null::integer), ('other', null::integer), ('own', 5) $$,
  'threshold: removed from the tier''s accounts at once, its own kept');

-- 5. A changed limit reaches the accounts at once.
select results_eq($$ select daily_credit_limit from upsert_credit_tier('edit', 200, null, null, 10) $$, $$ values (10) $$,
  'limits: a daily limit of 10');
select results_eq($$ select daily_credit_limit from get_credit_balance(pg_temp.id('a2')) $$, $$ values (10) $$,
  'limits: the balance shows it at once');
create temp table t as select pg_temp.start('a2', 9) as task;
select throws_ok($$ select pg_temp.start('a2', 2) $$, 'CR007', null, 'limits: 9 spent today, 2 more is past 10: CR007 at once');
select fail_generation((select task from t), 'provider error');
select results_eq($$ select max_in_flight, daily_credit_limit from upsert_credit_tier('edit', 200, null, 1) $$,
  $$ values (1, null::integer) $$, 'limits: max_in_flight 1 (the daily limit omitted: none)');
select lives_ok($$ select pg_temp.start('a2', 11) $$, 'limits: a first start, of 11: the daily limit of 10 is gone at once');
select throws_ok($$ select pg_temp.start('a2', 1) $$, 'CR007', null, 'limits: a second start is CR007 at once');
select upsert_credit_tier('edit', 200);
select lives_ok($$ select pg_temp.start('a2', 1) $$, 'limits: omitted, the in-flight limit is gone at once');
-- limited again in the same transaction: the day's spend is counted afresh, not from the count
-- taken under the earlier limit (a new limited_since in clock time)
select upsert_credit_tier('edit', 200, null, null, 12);
select throws_ok($$ select pg_temp.start('a2', 1) $$, 'CR007', null,
  'limits: limited again in one transaction, today''s 12 (11 + 1) + 1 more is past 12: the spend counted afresh');
select upsert_credit_tier('edit', 200);

-- 6. A tier with accounts cannot be deleted; one without can.
select throws_ok($$ delete from credit_tiers where tier = 'edit' $$, '23503', null,
  'delete: a tier with accounts is refused (foreign key violation)');
select upsert_credit_tier('spare', 1);
select lives_ok($$ delete from credit_tiers where tier = 'spare' $$, 'delete: a tier without accounts can be');

-- 7. Refusals: CR003, nothing changed.
select results_eq($$ select created from upsert_credit_tier(repeat('x', 64), 1) $$, $$ values (true) $$,
  'a tier of 64 characters is accepted');
create temp table before_refusals as
  select (select jsonb_agg(t order by t.tier) from credit_tiers t) as tiers,
         (select jsonb_agg(uc order by uc.user_id) from user_credits uc) as accounts;
select throws_ok($$ select upsert_credit_tier(null, 100) $$, 'CR003', null, 'a null tier is CR003');
select throws_ok($$ select upsert_credit_tier(' ', 100) $$, 'CR003', null, 'a blank tier is CR003');
select throws_ok($$ select upsert_credit_tier(repeat('x', 65), 100) $$, 'CR003', null, 'a tier over 64 characters is CR003');
select throws_ok($$ select upsert_credit_tier('edit', null) $$, 'CR003', null, 'a null allowance is CR003');
select throws_ok($$ select upsert_credit_tier('edit', -1) $$, 'CR003', null, 'a negative allowance is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 100000001) $$, 'CR003', null, 'an allowance over 100,000,000 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, 0) $$, 'CR003', null, 'a threshold of 0 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, 100000001) $$, 'CR003', null, 'a threshold over 100,000,000 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, null, 0) $$, 'CR003', null, 'max_in_flight 0 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, null, 1000001) $$, 'CR003', null, 'max_in_flight over 1,000,000 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, null, null, 0) $$, 'CR003', null, 'a daily limit of 0 is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, null, null, null, null) $$, 'CR003', null, 'a null rollover cap is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 300, null, null, null, -1) $$, 'CR003', null, 'a negative rollover cap is CR003');
select throws_ok($$ select upsert_credit_tier('edit', 0, null, null, null, 5) $$, 'CR003', null,
  'a rollover cap on a tier with no allowance is CR003 (no allocation row would say what was carried)');
select ok((select tiers = (select jsonb_agg(t order by t.tier) from credit_tiers t)
              and accounts = (select jsonb_agg(uc order by uc.user_id) from user_credits uc) from before_refusals),
  'the refusals changed no tier and no account');

-- 8. Who may call it.
set local role authenticated;
select throws_ok($$ select upsert_credit_tier('mine', 100) $$, '42501', null, 'end users cannot call it');
reset role;
set local role anon;
select throws_ok($$ select upsert_credit_tier('mine', 100) $$, '42501', null, 'anon cannot call it');
reset role;
set local role credits_service;
select results_eq($$ select tier, monthly_allowance, created, accounts from upsert_credit_tier('service', 10) $$,
  $$ values ('service', 10, true, 0::bigint) $$, 'the service role can');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
