-- credits_private.roll_over, the start of an account's month: lazily, by its first charge, grant
-- or refund of the month (under its own row lock), or by the allocation batch for idle accounts;
-- once per account and month, and promotional credits keep their own dates.
begin;
set local search_path to public, tap;
select plan(23);

-- Lazy roll-over (issue 10, item 14): an account still in last month starts this month (UTC)
-- on its first charge, grant or refund, under its own row lock; a balance read reports it as it
-- will be; the allocation batch catches the idle ones. Each account: basic (100 a month), 30
-- purchased, 40 of last month's monthly credits spent (60 left).
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
create temp table u (name text primary key, id uuid);
insert into u values ('charge', '00000000-0000-0000-0000-0000000000d1'), ('grant', '00000000-0000-0000-0000-0000000000d2'),
  ('refund', '00000000-0000-0000-0000-0000000000d3'), ('read', '00000000-0000-0000-0000-0000000000d4'),
  ('ensure', '00000000-0000-0000-0000-0000000000d5');
select ensure_credit_account(id, 'basic') from u;
select grant_credits(id, 30, 'pack', 'pack') from u;
create temp table t as select u.name, (start_generation(u.id, 'enhance', 'wavespeed', 'm', 40)).task_id from u;
update user_credits set period_start = (select last_month from p) where user_id in (select id from u);
update credit_transactions set period_start = (select last_month from p) where user_id in (select id from u) and period_start is not null;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.account(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, used bigint, period date)
  language sql as $$ select credits, monthly_credits, purchased_credits, credits_used_this_month, period_start
                       from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.period_rows(p_name text) returns table (type text, amount bigint)
  language sql as $$ select type, amount from credit_transactions
                      where user_id = pg_temp.id(p_name) and period_start = (select this_month from p) and type in ('expiration', 'allocation')
                      order by type desc $$;

-- A charge: the period starts first (60 expire, 100 granted), then the charge takes monthly credits.
select results_eq($$ select balance from start_generation(pg_temp.id('charge'), 'enhance', 'wavespeed', 'm', 5) $$,
  $$ values (125::bigint) $$, 'the first charge of the month starts it: 30 purchased + 100 - 5');
select results_eq($$ select * from pg_temp.account('charge') $$, $$ values (125::bigint, 95::bigint, 30::bigint, 5::bigint, (select this_month from p)) $$,
  'usage restarts, the charge is counted in the new month');
select results_eq($$ select * from pg_temp.period_rows('charge') $$, $$ values ('expiration', -60::bigint), ('allocation', 100::bigint) $$,
  'the roll-over wrote its expiration and allocation rows');

-- A grant.
select results_eq($$ select balance from grant_credits(pg_temp.id('grant'), 10, 'pack', 'pack-2') $$,
  $$ values (140::bigint) $$, 'the first grant of the month starts it: 30 + 10 purchased + 100');
select results_eq($$ select * from pg_temp.period_rows('grant') $$, $$ values ('expiration', -60::bigint), ('allocation', 100::bigint) $$,
  'with its expiration and allocation rows');

-- A refund of last month's charge: the month starts, and the charge comes back as purchased credits.
select results_eq($$ select refunded_credits, balance from fail_generation((select task_id from t where name = 'refund'), 'late failure') $$,
  $$ values (40, 170::bigint) $$, 'the first refund of the month starts it and refunds every credit');
select results_eq($$ select * from pg_temp.account('refund') $$, $$ values (170::bigint, 100::bigint, 70::bigint, 0::bigint, (select this_month from p)) $$,
  'last month''s charge comes back as purchased credits; this month''s usage stays 0');

-- The sweeper refunds through the same path.
update enhancement_tasks set updated_at = now() - interval '2 hours' where id = (select task_id from t where name = 'ensure');

-- A balance read reports the new month without writing.
select results_eq($$ select total_credits, monthly_credits, purchased_credits, used_this_month, period_start from get_credit_balance(pg_temp.id('read')) $$,
  $$ values (130::bigint, 100::bigint, 30::bigint, 0::bigint, (select this_month from p)) $$, 'a read reports the balance of the new month');
select results_eq($$ select * from pg_temp.account('read') $$, $$ values (90::bigint, 60::bigint, 30::bigint, 40::bigint, (select last_month from p)) $$,
  'and writes nothing');

-- ensure_credit_account on an existing account starts its month.
select results_eq($$ select created, total_credits, period_start from ensure_credit_account(pg_temp.id('ensure'), 'basic') $$,
  $$ values (false, 130::bigint, (select this_month from p)) $$, 'ensure_credit_account starts the month of an existing account');
select results_eq($$ select task_id, refunded_credits, balance from expire_stale_generations('30 minutes') $$,
  $$ values ((select task_id from t where name = 'ensure'), 40, 170::bigint) $$, 'the sweeper refunds last month''s charge as purchased credits');

-- The batch catches the idle account, and only it; periods start once.
select results_eq($$ select accounts, credits_allocated, credits_expired from allocate_monthly_credits() $$,
  $$ values (1, 100::bigint, 60::bigint) $$, 'the allocation moves only the account nobody touched');
select results_eq($$ select * from pg_temp.account('read') $$, $$ values (130::bigint, 100::bigint, 30::bigint, 0::bigint, (select this_month from p)) $$,
  'to the balance the read reported');
select is((select count(*)::int from credit_transactions where user_id in (select id from u) and type = 'allocation' and period_start = (select this_month from p)), 5,
  'one allocation per account for the month');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound after lazy roll-overs');

-- An account in the current month is untouched by the check.
select results_eq($$ select balance from start_generation(pg_temp.id('charge'), 'enhance', 'wavespeed', 'm', 5) $$,
  $$ values (120::bigint) $$, 'a second charge in the month does not roll over again');

-- An account that never had a period (legacy) is not started by a charge, only by the allocation.
insert into user_credits (user_id, credits, purchased_credits, credits_used_this_month) values ('00000000-0000-0000-0000-0000000000d9', 50, 50, 7);
insert into credit_transactions (user_id, amount, type, origin) values ('00000000-0000-0000-0000-0000000000d9', 50, 'purchase', 'legacy');
select results_eq($$ select balance from start_generation('00000000-0000-0000-0000-0000000000d9', 'enhance', 'wavespeed', 'm', 5) $$,
  $$ values (45::bigint) $$, 'a legacy account without a period is charged as it is');
select is((select period_start from user_credits where user_id = '00000000-0000-0000-0000-0000000000d9'), null, 'and keeps no period');

-- Batches: at most 1,000 accounts per call, oldest period first.
insert into user_credits (user_id, tier, credits, monthly_credits, monthly_allowance, period_start)
select md5('batch' || i)::uuid, 'free', 10, 10, 10, (select last_month from p) from generate_series(1, 1500) i;
insert into credit_transactions (user_id, amount, monthly_amount, type, balance_after, period_start)
select md5('batch' || i)::uuid, 10, 10, 'allocation', 10, (select last_month from p) from generate_series(1, 1500) i;
select results_eq($$ select accounts from allocate_monthly_credits() $$, $$ values (1000) $$, 'a call moves one batch of 1,000 accounts');
select results_eq($$ select accounts from allocate_monthly_credits() $$, $$ values (501) $$, 'the next one the rest (with the legacy account)');
select results_eq($$ select accounts from allocate_monthly_credits() $$, $$ values (0) $$, 'then nothing is left');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound after the batches');

-- A new month expires monthly credits only: promotional ones keep their own date.
select ensure_credit_account('00000000-0000-0000-0000-0000000000f5', 'basic');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f5', 5, '1 year', 'x', 'year-long');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f5', 25, '60 days', 'quarter', 'm-1');
update user_credits set period_start = (select last_month from p) where user_id = '00000000-0000-0000-0000-0000000000f5';
update credit_transactions set period_start = (select last_month from p)
 where user_id = '00000000-0000-0000-0000-0000000000f5' and period_start is not null;
select start_generation('00000000-0000-0000-0000-0000000000f5', 'enhance', 'wavespeed', 'm', 1);
select results_eq($$ select credits, monthly_credits, purchased_credits, promotional_credits from user_credits
                     where user_id = '00000000-0000-0000-0000-0000000000f5' $$,
  $$ values (129::bigint, 100::bigint, 0::bigint, 29::bigint) $$, 'the new month''s allowance, the lot kept and spent first');

select * from finish(true);
rollback;
