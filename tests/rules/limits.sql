-- Contract §12, limits rule by rule: in-flight generations and credits per UTC day, tier defaults
-- and an account's own (set_credit_limits), CR007 and its DETAIL, nothing written on a refusal,
-- a completion, failure or sweep freeing a slot at once, refunds and settlements lowering the
-- day's spend, the day turning at 00:00 UTC, and the balance results showing it all.
begin;
set local search_path to public, tap;
select plan(49);

create temp table u (name text primary key, id uuid);
insert into u values
  ('flight', '00000000-0000-0000-0000-0000000012a1'), ('daily', '00000000-0000-0000-0000-0000000012a2'),
  ('own', '00000000-0000-0000-0000-0000000012a3'), ('promo', '00000000-0000-0000-0000-0000000012a4'),
  ('keyed', '00000000-0000-0000-0000-0000000012a5'), ('days', '00000000-0000-0000-0000-0000000012a6'),
  ('free', '00000000-0000-0000-0000-0000000012a7');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer, p_key text default null) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits, p_key) $$;
-- The DETAIL of the error a statement raises (null when it raises none), as JSON.
create function pg_temp.detail_of(p_sql text) returns jsonb language plpgsql as $$
declare v_detail text;
begin
  execute p_sql;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail::jsonb;
end $$;
create function pg_temp.writes(p_name text) returns bigint language sql as $$
  select (select count(*) from enhancement_tasks where user_id = pg_temp.id(p_name))
       + (select count(*) from credit_transactions where user_id = pg_temp.id(p_name))
       + (select credits from user_credits where user_id = pg_temp.id(p_name)) $$;

-- 1. Tier defaults: none on the seeded tiers; a tier's limits apply to its accounts.
select is_empty($$ select tier from credit_tiers where tier in ('free', 'basic', 'pro')
                   and (max_in_flight is not null or daily_credit_limit is not null) $$,
  'limits: the seeded free, basic and pro tiers have none');
insert into credit_tiers (tier, monthly_allowance, max_in_flight, daily_credit_limit) values ('capped', 1000, 2, 50);
select ensure_credit_account(id, 'capped') from u where name in ('flight', 'daily', 'own', 'promo', 'keyed', 'days');
select ensure_credit_account(pg_temp.id('free'), 'free');
select results_eq($$ select max_in_flight, daily_credit_limit, in_flight, spent_today from get_credit_balance(pg_temp.id('flight')) $$,
  $$ values (2, 50, 0::bigint, 0::bigint) $$, 'limits: a new account has its tier''s, shown by get_credit_balance');
select results_eq($$ select max_in_flight, daily_credit_limit from get_credit_balance(pg_temp.id('free')) $$,
  $$ values (null::integer, null::integer) $$, 'limits: an account of a tier without limits has none');

-- 2. In flight: at the limit, CR007 with its DETAIL, nothing written.
create temp table t (name text primary key, task uuid);
insert into t values ('f1', pg_temp.start('flight', 1)), ('f2', pg_temp.start('flight', 1));
create temp table before_refusal as select pg_temp.writes('flight') as w;
select throws_ok($$ select pg_temp.start('flight', 1) $$, 'CR007', null, 'in_flight: a start past the limit is CR007');
select is(pg_temp.writes('flight'), (select w from before_refusal), 'in_flight: the refusal wrote nothing');
select is(pg_temp.detail_of($$ select pg_temp.start('flight', 1) $$),
  jsonb_build_object('limit', 'in_flight', 'allowed', 2, 'current', 2, 'requested', 1,
                     'account_id', pg_temp.id('flight'), 'user_id', pg_temp.id('flight')),
  'in_flight: DETAIL says the limit, allowed, current, requested, account and user');
select results_eq($$ select in_flight from get_credit_balance(pg_temp.id('flight')) $$, $$ values (2::bigint) $$,
  'in_flight: the balance shows the generations in flight');

-- 3. A completion, a failure and a sweep each free a slot at once.
select mark_generation_submitted((select task from t where name = 'f1'), 'job-f1');
select complete_generation((select task from t where name = 'f1'), 0.01);
select lives_ok($$ insert into t values ('f3', pg_temp.start('flight', 1)) $$, 'in_flight: a completion frees a slot at once');
select throws_ok($$ select pg_temp.start('flight', 1) $$, 'CR007', null, 'in_flight: and only one');
select fail_generation((select task from t where name = 'f2'), 'boom', 'callback');
select lives_ok($$ insert into t values ('f4', pg_temp.start('flight', 1)) $$, 'in_flight: a failure frees a slot at once');
update enhancement_tasks set updated_at = now() - interval '2 hours' where id = (select task from t where name = 'f3');
select is((select count(*) from expire_stale_generations('1 hour') where task_id = (select task from t where name = 'f3')), 1::bigint,
  'in_flight: the sweeper failed the stuck generation');
select lives_ok($$ insert into t values ('f5', pg_temp.start('flight', 1)) $$, 'in_flight: a sweep frees a slot at once');
select throws_ok($$ select pg_temp.start('flight', 1) $$, 'CR007', null, 'in_flight: processing counts as in flight');

-- 4. Credits per UTC day: charges less their refunds and settlements.
insert into t values ('d1', pg_temp.start('daily', 30));
select is(pg_temp.detail_of($$ select pg_temp.start('daily', 21) $$),
  jsonb_build_object('limit', 'daily_credits', 'allowed', 50, 'current', 30, 'requested', 21,
                     'account_id', pg_temp.id('daily'), 'user_id', pg_temp.id('daily')),
  'daily_credits: a start past the day''s limit is refused with its DETAIL');
select throws_ok($$ select pg_temp.start('daily', 21) $$, 'CR007', null, 'daily_credits: the refusal is CR007');
select lives_ok($$ insert into t values ('d2', pg_temp.start('daily', 20)) $$, 'daily_credits: up to the limit exactly is allowed');
select results_eq($$ select spent_today from get_credit_balance(pg_temp.id('daily')) $$, $$ values (50::bigint) $$,
  'daily_credits: the balance shows what was spent today');
select fail_generation((select task from t where name = 'd1'), 'boom', 'callback');
select results_eq($$ select spent_today from get_credit_balance(pg_temp.id('daily')) $$, $$ values (20::bigint) $$,
  'daily_credits: a failure''s refund lowers the day''s spend');
select complete_generation((select task from t where name = 'd2'), 0.01, null, 5);
select results_eq($$ select spent_today from get_credit_balance(pg_temp.id('daily')) $$, $$ values (5::bigint) $$,
  'daily_credits: a settlement lowers the day''s spend to what was used');
select lives_ok($$ insert into t values ('d3', pg_temp.start('daily', 45)) $$, 'daily_credits: what came back may be spent again');
select throws_ok($$ select pg_temp.start('daily', 1) $$, 'CR007', null, 'daily_credits: and no more');

-- 5. The day turns at 00:00 UTC; a refund of an earlier day's charge leaves today's spend alone.
insert into t values ('y1', pg_temp.start('days', 40));
update credit_transactions set created_at = created_at - interval '1 day' where task_id = (select task from t where name = 'y1');
update credits_private.account_limits set spent_today_until = spent_today_until - interval '1 day' where user_id = pg_temp.id('days');  -- as yesterday's charge left it
select results_eq($$ select spent_today from get_credit_balance(pg_temp.id('days')) $$, $$ values (0::bigint) $$,
  'daily_credits: yesterday''s (UTC) spend is not today''s');
select lives_ok($$ insert into t values ('y2', pg_temp.start('days', 50)) $$, 'daily_credits: a new UTC day starts at 0');
select fail_generation((select task from t where name = 'y1'), 'late', 'callback');
select results_eq($$ select spent_today from get_credit_balance(pg_temp.id('days')) $$, $$ values (50::bigint) $$,
  'daily_credits: the refund of yesterday''s charge does not lower today''s spend');
select fail_generation((select task from t where name = 'y2'), 'boom', 'callback');
update credits_private.account_limits set spent_today = 10 where user_id = pg_temp.id('days');  -- as if part of the day was not counted
insert into t values ('y3', pg_temp.start('days', 5));
update credits_private.account_limits set spent_today = 0 where user_id = pg_temp.id('days');
select fail_generation((select task from t where name = 'y3'), 'boom', 'callback');
select results_eq($$ select spent_today from credits_private.account_limits where user_id = pg_temp.id('days') $$, $$ values (0::bigint) $$,
  'daily_credits: the day''s spend is never negative');

-- 5b. Past midnight: a charge whose transaction began the day before the count's (it waited for
-- the lock) is checked against its own day, from the ledger, and leaves the later day's count.
insert into u values ('night', '00000000-0000-0000-0000-0000000012a8');
select ensure_credit_account(pg_temp.id('night'), 'capped');
select set_credit_limits(pg_temp.id('night'), 0, null);  -- the day's limit only (the tier's 50)
insert into t values ('n1', pg_temp.start('night', 10));
update credits_private.account_limits
   set spent_today_until = spent_today_until + interval '1 day', spent_today = 45
 where user_id = pg_temp.id('night');  -- as a charge of the next day left it
select lives_ok($$ select pg_temp.start('night', 30) $$, 'daily_credits: a charge of the day before is checked against its own day (40 of 50)');
select is(pg_temp.detail_of($$ select pg_temp.start('night', 15) $$) ->> 'current', '40',
  'daily_credits: and refused past it, its own day''s spend in DETAIL');
select results_eq($$ select spent_today, spent_today_until > now() + interval '1 day' from credits_private.account_limits
                     where user_id = pg_temp.id('night') $$, $$ values (45::bigint, true) $$,
  'daily_credits: the later day''s count stays as it was');
select fail_generation((select task from t where name = 'n1'), 'boom', 'callback');
select results_eq($$ select spent_today from credits_private.account_limits where user_id = pg_temp.id('night') $$,
  $$ values (45::bigint) $$, 'daily_credits: a refund of the day before leaves the later day''s count alone');

-- 6. The account's own limits: positive its own, 0 none whatever the tier, null the tier's.
select results_eq($$ select * from set_credit_limits(pg_temp.id('own'), 1, 0) $$, $$ values (1, null::integer) $$,
  'set_credit_limits: returns the limits in effect (0: none)');
select pg_temp.start('own', 60);
select throws_ok($$ select pg_temp.start('own', 1) $$, 'CR007', null, 'set_credit_limits: its own in-flight limit beats the tier''s');
select results_eq($$ select * from set_credit_limits(pg_temp.id('own'), 0, null) $$, $$ values (null::integer, 50) $$,
  'set_credit_limits: 0 removes the in-flight limit, null returns to the tier''s daily one');
select throws_ok($$ select pg_temp.start('own', 1) $$, 'CR007', null, 'set_credit_limits: the tier''s daily limit is back (60 spent)');
select results_eq($$ select * from set_credit_limits(pg_temp.id('own'), 3, 100) $$, $$ values (3, 100) $$,
  'set_credit_limits: sets both at once');
select lives_ok($$ select pg_temp.start('own', 40) $$, 'set_credit_limits: a higher daily limit allows more at once');
select throws_ok($$ select set_credit_limits(pg_temp.id('own'), -1, null) $$, 'CR003', null, 'set_credit_limits: a negative limit is CR003');
select throws_ok($$ select set_credit_limits(pg_temp.id('own'), null, 100000001) $$, 'CR003', null,
  'set_credit_limits: an absurd limit is CR003');
select throws_ok($$ select set_credit_limits('00000000-0000-0000-0000-0000000012ff', 1, 1) $$, 'CR002', null,
  'set_credit_limits: no account is CR002');

-- 7. A tier's limits changed reach its accounts at once, not those with their own.
update credit_tiers set max_in_flight = 5, daily_credit_limit = null where tier = 'capped';
select results_eq($$ select max_in_flight, daily_credit_limit from get_credit_balance(pg_temp.id('flight')) $$, $$ values (5, null::integer) $$,
  'limits: a tier''s change reaches its accounts at once');
select results_eq($$ select max_in_flight, daily_credit_limit from get_credit_balance(pg_temp.id('own')) $$, $$ values (3, 100) $$,
  'limits: an account''s own limits stay');
select lives_ok($$ select pg_temp.start('flight', 1) $$, 'limits: the tier''s raised limit allows a start at once');
select change_tier(pg_temp.id('free'), 'capped', 'up-1');
select results_eq($$ select max_in_flight from get_credit_balance(pg_temp.id('free')) $$, $$ values (5) $$,
  'limits: an upgrade brings the new tier''s limits');

-- 8. Every path of the charge: with promotional credits, with a key; a replay ignores limits.
select grant_promotional_credits(pg_temp.id('promo'), 10, '1 day', 'welcome', 'promo-1');
select set_credit_limits(pg_temp.id('promo'), 1, null);
select pg_temp.start('promo', 5);
select throws_ok($$ select pg_temp.start('promo', 5) $$, 'CR007', null, 'in_flight: an account holding promotional credits is limited too');
select set_credit_limits(pg_temp.id('keyed'), 1, null);
insert into t values ('k1', pg_temp.start('keyed', 5, 'key-1'));
select throws_ok($$ select pg_temp.start('keyed', 5, 'key-2') $$, 'CR007', null, 'in_flight: a start with a key is limited too');
select is(pg_temp.start('keyed', 5, 'key-1'), (select task from t where name = 'k1'),
  'limits: a replay at the limit returns the first result');
select results_eq($$ select count(*) from enhancement_tasks where user_id = pg_temp.id('keyed') $$, $$ values (1::bigint) $$,
  'limits: the refused start left no task');

-- 9. Refusals come in order: CR001 (the charge is written first), then in flight, then the day's credits.
select set_credit_limits(pg_temp.id('keyed'), 1, 6);
select throws_ok($$ select pg_temp.start('keyed', 100000) $$, 'CR001', null,
  'limits: a start the balance cannot pay is CR001 whatever the limits');
select is(pg_temp.detail_of($$ select pg_temp.start('keyed', 6) $$) ->> 'limit', 'in_flight',
  'limits: the in-flight limit is checked before the day''s');
select is_empty($$ select * from verify_ledger() $$, 'limits: the ledger is sound');

select * from finish(true);
rollback;
