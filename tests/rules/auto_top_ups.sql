-- Contract §13 "Automatic top-ups", rule by rule: a charge that takes the balance from at or above
-- the threshold to below it writes one 'top_up_requested' event into the outbox for the credits
-- back to the target, within what the UTC month's limit leaves (nothing left: no event); at most
-- one request is open per account, until granted (grant_credits with its key), declined
-- (decline_top_up) or 24 hours old; a grant with a top-up key of no request of the account is
-- refused; the event's credits and key reach claim_credit_events; a top-up grant repays debt
-- first like any grant; teams ask under the team's id; the ledger stays sound.
begin;
set local search_path to public, tap;
select plan(58);

-- The test runs in one transaction, so now() stands still: a month "ends" by moving the
-- settings' month (or the account's period) back, and a request "ages" by moving its dates back.
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
create temp table u (name text primary key, id uuid);
insert into u values
  ('cross', '00000000-0000-0000-0000-000000001c01'), ('above', '00000000-0000-0000-0000-000000001c02'),
  ('below', '00000000-0000-0000-0000-000000001c03'), ('exact', '00000000-0000-0000-0000-000000001c04'),
  ('limit', '00000000-0000-0000-0000-000000001c05'), ('open', '00000000-0000-0000-0000-000000001c06'),
  ('keys', '00000000-0000-0000-0000-000000001c07'), ('replay', '00000000-0000-0000-0000-000000001c08'),
  ('both', '00000000-0000-0000-0000-000000001c09'), ('split', '00000000-0000-0000-0000-000000001c0a'),
  ('debt', '00000000-0000-0000-0000-000000001c0b'), ('promo', '00000000-0000-0000-0000-000000001c0c'),
  ('month', '00000000-0000-0000-0000-000000001c0d');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
-- The team and its member (the member has no account of their own).
insert into u values ('studio', '00000000-0000-0000-0000-000000001c10'), ('ann', '00000000-0000-0000-0000-000000001c11');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
select ensure_team_account(pg_temp.id('studio'), 'pro');  -- 500 monthly credits
select add_team_member(pg_temp.id('studio'), pg_temp.id('ann'));
create function pg_temp.start(p_name text, p_credits integer, p_key text default null) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits, p_key) $$;
create function pg_temp.grant(p_name text, p_credits integer, p_key text) returns bigint language sql as $$
  select balance from grant_credits(pg_temp.id(p_name), p_credits, 'pack', p_key) $$;
-- The account's n-th top-up request (1: the first), its key, how many it has, the open one.
create function pg_temp.request(p_name text, p_n integer) returns bigint language sql as $$
  select id from credits_private.credit_events where user_id = pg_temp.id(p_name) and kind = 'top_up_requested'
   order by id offset p_n - 1 limit 1 $$;
create function pg_temp.key(p_name text, p_n integer) returns text language sql as $$
  select 'auto-top-up:' || pg_temp.request(p_name, p_n) $$;
create function pg_temp.requests(p_name text) returns integer language sql as $$
  select count(*)::integer from credits_private.credit_events where user_id = pg_temp.id(p_name) and kind = 'top_up_requested' $$;
create function pg_temp.open_request(p_name text) returns bigint language sql as $$
  select open_event_id from credits_private.auto_top_ups where user_id = pg_temp.id(p_name) $$;
-- Grants the account's n-th request with its key, for the credits it asked: the balance after.
create function pg_temp.grant_request(p_name text, p_n integer) returns bigint language sql as $$
  select balance from grant_credits(pg_temp.id(p_name),
                                    (select credits from credits_private.credit_events where id = pg_temp.request(p_name, p_n)),
                                    'automatic top-up', pg_temp.key(p_name, p_n)) $$;
create temp table t (name text primary key, task uuid);

-- Every account but the team: threshold 30, target 100, no monthly limit ('limit' gets one; the
-- team, 'below' and 'month' theirs below).
select set_auto_top_up(id, 30, 100, null) from u where name not in ('below', 'month', 'studio', 'ann');

-- 1. A charge from at or above the threshold to below it writes exactly one request.
insert into t values ('cross', pg_temp.start('cross', 75));  -- 100 -> 25
select results_eq($$ select kind, balance, threshold, task_id, credits, idempotency_key = 'auto-top-up:' || id, outcome
                      from credits_private.credit_events where user_id = pg_temp.id('cross') $$,
  $$ values ('top_up_requested', 25::bigint, 30, (select task from t where name = 'cross'), 75, true, null::text) $$,
  'crossing: exactly one top_up_requested event: the balance after, the threshold, the charge, target - balance, its key');
select results_eq($$ select open_event_id, open_until, requested_credits, month from credits_private.auto_top_ups
                     where user_id = pg_temp.id('cross') $$,
  $$ values (pg_temp.request('cross', 1), now() + interval '24 hours', 75::bigint, (select this_month from p)) $$,
  'crossing: the request is open for 24 hours and counts against the month');

-- 2. A charge that stays at or above the threshold, or starts below it, asks for nothing.
select pg_temp.start('above', 50);  -- 100 -> 50
select is(pg_temp.requests('above'), 0, 'no crossing: a charge that stays above the threshold asks for nothing');
select pg_temp.start('below', 80);  -- 100 -> 20, before any settings
select set_auto_top_up(pg_temp.id('below'), 30, 100, null);
select pg_temp.start('below', 5);  -- 20 -> 15
select is(pg_temp.requests('below'), 0, 'no crossing: a charge that starts below the threshold asks for nothing');

-- 3. Exactly at the threshold: not below after, at or above before.
select pg_temp.start('exact', 70);  -- 100 -> 30
select is(pg_temp.requests('exact'), 0, 'exactly at: a charge leaving the balance at the threshold is not below it');
select pg_temp.start('exact', 1);  -- 30 -> 29
select results_eq($$ select balance, credits from credits_private.credit_events where user_id = pg_temp.id('exact') $$,
  $$ values (29::bigint, 71) $$, 'exactly at: a charge from the threshold to below it crosses');

-- 4. The monthly limit caps the credits: least(target - balance, limit - requested this month).
select set_auto_top_up(pg_temp.id('limit'), 30, 100, 100);
select pg_temp.start('limit', 80);  -- 100 -> 20
select is((select credits from credits_private.credit_events where id = pg_temp.request('limit', 1)), 80,
  'limit: within the limit, target - balance (80 of 100)');
select pg_temp.grant_request('limit', 1);  -- 20 -> 100
select pg_temp.start('limit', 90);  -- 100 -> 10: 90 to the target, 20 left this month
select is((select credits from credits_private.credit_events where id = pg_temp.request('limit', 2)), 20,
  'limit: what the month''s limit leaves (20), not target - balance (90)');
select pg_temp.grant_request('limit', 2);  -- 10 -> 30
select pg_temp.start('limit', 1);  -- 30 -> 29: crosses, nothing left
select is(pg_temp.requests('limit'), 2, 'limit: nothing left this month, no event');
select results_eq($$ select requested_credits, open_event_id from credits_private.auto_top_ups where user_id = pg_temp.id('limit') $$,
  $$ values (100::bigint, null::bigint) $$, 'limit: the month''s count stays at the limit, nothing opened');
-- A new UTC month resets the count.
update credits_private.auto_top_ups set month = (select last_month from p) where user_id = pg_temp.id('limit');
select pg_temp.grant('limit', 10, 'limit-pack');  -- 29 -> 39
select pg_temp.start('limit', 10);  -- 39 -> 29
select is((select credits from credits_private.credit_events where id = pg_temp.request('limit', 3)), 71,
  'limit: a new UTC month resets the count: target - balance again');
select results_eq($$ select month, requested_credits from credits_private.auto_top_ups where user_id = pg_temp.id('limit') $$,
  $$ values ((select this_month from p), 71::bigint) $$, 'limit: the new month counts from its first request');

-- 5. At most one open request: until granted, declined or 24 hours old.
select pg_temp.start('open', 75);  -- 100 -> 25: request 1
select pg_temp.grant('open', 50, 'open-1');  -- 25 -> 75
select pg_temp.start('open', 50);  -- 75 -> 25: crosses, request 1 open
select is(pg_temp.requests('open'), 1, 'open: a second crossing while a request is open asks for nothing');
select is(pg_temp.grant_request('open', 1), 100::bigint, 'open: granted with its key (75: 25 -> 100)');
select is(pg_temp.open_request('open'), null, 'open: the grant closed it');
select pg_temp.start('open', 75);  -- 100 -> 25: request 2
select is(pg_temp.requests('open'), 2, 'open: granted, the next crossing asks again');
select results_eq($$ select outcome from decline_top_up(pg_temp.request('open', 2)) $$, $$ values ('declined') $$, 'open: request 2 declined');
select pg_temp.grant('open', 50, 'open-2');  -- 25 -> 75
select pg_temp.start('open', 50);  -- 75 -> 25: request 3
select is(pg_temp.requests('open'), 3, 'open: declined, the next crossing asks again');
-- Just under 24 hours old: still open.
update credits_private.credit_events set created_at = now() - interval '24 hours' + interval '1 second' where id = pg_temp.request('open', 3);
update credits_private.auto_top_ups set open_until = now() + interval '1 second' where user_id = pg_temp.id('open');
select pg_temp.grant('open', 50, 'open-3');  -- 25 -> 75
select pg_temp.start('open', 50);  -- 75 -> 25
select is(pg_temp.requests('open'), 3, 'open: a request just under 24 hours old is still open');
update credits_private.credit_events set created_at = now() - interval '24 hours' - interval '1 second' where id = pg_temp.request('open', 3);
update credits_private.auto_top_ups set open_until = now() - interval '1 second' where user_id = pg_temp.id('open');
select pg_temp.grant('open', 50, 'open-4');  -- 25 -> 75
select pg_temp.start('open', 50);  -- 75 -> 25: request 4
select is(pg_temp.requests('open'), 4, 'open: a request 24 hours old no longer is: the next crossing asks again');
select results_eq($$ select open_event_id, open_until from credits_private.auto_top_ups where user_id = pg_temp.id('open') $$,
  $$ values (pg_temp.request('open', 4), now() + interval '24 hours') $$, 'open: the new request is the open one');
select is((select outcome from credits_private.credit_events where id = pg_temp.request('open', 3)), null,
  'open: the request that aged out was neither granted nor declined');
-- Granting the aged request late still grants it (the payment went through) and leaves the new one open.
select is(pg_temp.grant_request('open', 3), 100::bigint, 'open: a late grant of the aged request still grants (75: 25 -> 100)');
select is(pg_temp.open_request('open'), pg_temp.request('open', 4), 'open: the late grant leaves the newer request open');

-- 6. A grant with a top-up key that names no request of this account is CR003 and writes nothing.
select set_low_balance_threshold(pg_temp.id('keys'), 40);
select pg_temp.start('keys', 75);  -- 100 -> 25: a low_balance event and request 1
create temp table keys_before as
  select (select count(*) from credit_transactions where user_id = pg_temp.id('keys')) as rows_,
         (select credits from user_credits where user_id = pg_temp.id('keys')) as credits,
         (select string_agg(format('%s %s %s', id, outcome, resolved_at), ', ' order by id) from credits_private.credit_events) as events,
         (select string_agg(a::text, ', ' order by user_id) from credits_private.auto_top_ups a) as settings;
select throws_ok($$ select * from grant_credits(pg_temp.id('keys'), 75, 'automatic top-up', 'auto-top-up:999999999') $$, 'CR003', null,
  'keys: a top-up key of no request is CR003');
select throws_ok($$ select * from grant_credits(pg_temp.id('keys'), 75, 'automatic top-up', 'auto-top-up:oops') $$, 'CR003', null,
  'keys: a malformed top-up key is CR003');
select throws_ok($$ select * from grant_credits(pg_temp.id('keys'), 75, 'automatic top-up', pg_temp.key('open', 4)) $$, 'CR003', null,
  'keys: another account''s request key is CR003');
select throws_ok(format($$ select * from grant_credits(pg_temp.id('keys'), 75, 'automatic top-up', 'auto-top-up:%s') $$,
                        (select id from credits_private.credit_events where user_id = pg_temp.id('keys') and kind = 'low_balance')),
  'CR003', null, 'keys: a key naming the account''s low_balance event is CR003');
select results_eq($$ select (select count(*) from credit_transactions where user_id = pg_temp.id('keys')),
                            (select credits from user_credits where user_id = pg_temp.id('keys')),
                            (select string_agg(format('%s %s %s', id, outcome, resolved_at), ', ' order by id) from credits_private.credit_events),
                            (select string_agg(a::text, ', ' order by user_id) from credits_private.auto_top_ups a) $$,
  $$ select * from keys_before $$, 'keys: the refused grants wrote nothing (no ledger row, no credits, no request granted or closed)');
select is(pg_temp.open_request('open'), pg_temp.request('open', 4), 'keys: the other account''s request is still open');

-- 7. A replayed start writes no second event.
select results_eq($$ select replayed, balance from start_generation(pg_temp.id('replay'), 'image', 'wavespeed', 'nano-banana', 75, 'rp-1') $$,
  $$ values (false, 25::bigint) $$, 'replay: a start with a key crosses');
select is(pg_temp.requests('replay'), 1, 'replay: one request');
select results_eq($$ select replayed, balance from start_generation(pg_temp.id('replay'), 'image', 'wavespeed', 'nano-banana', 75, 'rp-1') $$,
  $$ values (true, 25::bigint) $$, 'replay: the same key replays');
select is(pg_temp.requests('replay'), 1, 'replay: no second request');

-- 8. One charge crossing a low-balance threshold and a top-up threshold writes two events, low_balance first.
select set_low_balance_threshold(pg_temp.id('both'), 40);
insert into t values ('both', pg_temp.start('both', 75));  -- 100 -> 25
select results_eq($$ select kind, balance, threshold, task_id from credits_private.credit_events where user_id = pg_temp.id('both') order by id $$,
  $$ values ('low_balance', 25::bigint, 40, (select task from t where name = 'both')),
            ('top_up_requested', 25::bigint, 30, (select task from t where name = 'both')) $$,
  'both: two events from one charge, low_balance first');
-- Each threshold is crossed on its own.
select set_low_balance_threshold(pg_temp.id('split'), 40);
select pg_temp.start('split', 65);  -- 100 -> 35: below 40 only
select results_eq($$ select kind from credits_private.credit_events where user_id = pg_temp.id('split') $$, $$ values ('low_balance') $$,
  'split: a charge crossing only the low-balance threshold writes only low_balance');
select pg_temp.start('split', 10);  -- 35 -> 25: below 30, already below 40
select results_eq($$ select kind, credits from credits_private.credit_events where user_id = pg_temp.id('split') order by id $$,
  $$ values ('low_balance', null::integer), ('top_up_requested', 75) $$,
  'split: a charge crossing only the top-up threshold writes only top_up_requested');

-- 9. The other paths of a charge: one holding promotional credits, and the first of a new month.
select grant_promotional_credits(pg_temp.id('promo'), 20, '7 days', 'welcome', 'promo-1');  -- 120
select pg_temp.start('promo', 95);  -- 120 -> 25: 20 promotional, 75 monthly
select results_eq($$ select balance, credits from credits_private.credit_events where user_id = pg_temp.id('promo') $$,
  $$ values (25::bigint, 75) $$, 'paths: a charge spending promotional credits crosses too');
select pg_temp.start('month', 80);  -- 100 -> 20, before any settings
select set_auto_top_up(pg_temp.id('month'), 30, 100, null);
update user_credits set period_start = (select last_month from p) where user_id = pg_temp.id('month');
update credit_transactions set period_start = (select last_month from p) where user_id = pg_temp.id('month') and period_start is not null;
select pg_temp.start('month', 75);  -- rolls over: 20 expire, 100 allocated; 100 -> 25
select results_eq($$ select balance, credits from credits_private.credit_events where user_id = pg_temp.id('month') $$,
  $$ values (25::bigint, 75) $$, 'paths: the first charge of a new month crosses from the new month''s balance');

-- 10. A team asks under the team's id.
select set_auto_top_up(pg_temp.id('studio'), 100, 500, null);
insert into t values ('ann', (select task_id from start_generation(pg_temp.id('ann'), 'image', 'wavespeed', 'nano-banana', 450, null, '{}',
                                                                   pg_temp.id('studio'))));  -- 500 -> 50
select results_eq($$ select user_id, balance, threshold, task_id, credits from credits_private.credit_events
                     where task_id = (select task from t where name = 'ann') $$,
  $$ values (pg_temp.id('studio'), 50::bigint, 100, (select task from t where name = 'ann'), 450) $$,
  'team: the request is the team''s, for the team''s target');
select is(pg_temp.open_request('studio'), pg_temp.request('studio', 1), 'team: the open request is the team''s');
select is(pg_temp.grant_request('studio', 1), 500::bigint, 'team: granted to the team with its key (450: 50 -> 500)');

-- 11. claim_credit_events hands out the credits and the key (null for a low_balance event), and
-- no request that is no longer open: 'open''s request 4 is left unanswered for 24 hours.
update credits_private.credit_events set created_at = now() - interval '25 hours' where id = pg_temp.request('open', 4);
create temp table claimed as select * from claim_credit_events(1000);
select results_eq($$ select kind, user_id, balance, threshold, task_id, credits, idempotency_key from claimed
                     where event_id = pg_temp.request('cross', 1) $$,
  $$ values ('top_up_requested', pg_temp.id('cross'), 25::bigint, 30, (select task from t where name = 'cross'), 75, pg_temp.key('cross', 1)) $$,
  'claim: a top-up request with its credits and idempotency_key');
select results_eq($$ select kind, credits, idempotency_key from claimed where user_id = pg_temp.id('both') order by event_id $$,
  $$ values ('low_balance', null::integer, null::text), ('top_up_requested', 75, pg_temp.key('both', 1)) $$,
  'claim: a low_balance event''s credits and idempotency_key are null');
select is((select count(*)::int from claimed),
          (select count(*)::int from credits_private.credit_events where kind = 'low_balance' or outcome is null),
  'claim: every event of the test, both kinds, but the requests no longer open');
select is_empty($$ select id from credits_private.credit_events
                    where kind = 'top_up_requested' and id not in (select event_id from claimed)
                      and (outcome is null or done_at is null) $$,
  'claim: a request granted, declined or 24 hours old is not handed out (nothing left to buy), and is marked done');
select results_eq($$ select outcome, resolved_at from credits_private.credit_events where id = pg_temp.request('open', 4) $$,
  $$ values ('lapsed', now()) $$, 'claim: a request unanswered for 24 hours reads lapsed');
select results_eq($$ select balance, replayed from grant_credits(pg_temp.id('open'), 10, 'late payment', pg_temp.key('open', 4)) $$,
  $$ values ((select credits from user_credits where user_id = pg_temp.id('open')) + 10, false) $$,
  'claim: a lapsed request''s key still grants what a late payment bought');

-- 12. Granted with its key, the request's credits bring the balance back to the target.
select results_eq($$ select balance, replayed from grant_credits(pg_temp.id('cross'), 75, 'automatic top-up', pg_temp.key('cross', 1)) $$,
  $$ values (100::bigint, false) $$, 'granted: the request''s credits bring the balance back to the target (25 -> 100)');
select results_eq($$ select outcome, resolved_at from credits_private.credit_events where id = pg_temp.request('cross', 1) $$,
  $$ values ('granted', now()) $$, 'granted: the request reads granted');
select results_eq($$ select type, amount, idempotency_key from credit_transactions where user_id = pg_temp.id('cross') and type = 'purchase' $$,
  $$ values ('purchase', 75::bigint, pg_temp.key('cross', 1)) $$, 'granted: one purchase row with the request''s key');
select results_eq($$ select balance, replayed from grant_credits(pg_temp.id('cross'), 75, 'automatic top-up', pg_temp.key('cross', 1)) $$,
  $$ values (100::bigint, true) $$, 'granted: the same grant again replays, adding nothing');

-- 13. A top-up grant repays debt first, like any grant.
select pg_temp.start('debt', 75);  -- 100 -> 25: request 1, 75 credits
select results_eq($$ select debt_credits, balance from revoke_credits(pg_temp.id('debt'), 45, 'chargeback', 'cb-debt') $$,
  $$ values (20::bigint, 0::bigint) $$, 'debt: a revocation leaves a debt of 20');
select is(pg_temp.grant_request('debt', 1), 55::bigint, 'debt: the top-up of 75 repays the debt of 20 first, 55 left');
select results_eq($$ select amount, debt_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('debt') and idempotency_key = pg_temp.key('debt', 1) $$,
  $$ values (75::bigint, 20::bigint, 55::bigint) $$, 'debt: the purchase row says 20 repaid debt');
select results_eq($$ select uc.purchased_credits, coalesce(d.debt_credits, 0) from user_credits uc
                      left join credits_private.account_debts d on d.user_id = uc.user_id where uc.user_id = pg_temp.id('debt') $$,
  $$ values (55::bigint, 0::bigint) $$, 'debt: repaid, the rest purchased credits');
select is((select outcome from credits_private.credit_events where id = pg_temp.request('debt', 1)), 'granted', 'debt: the request reads granted');

-- 14. The ledger stays sound.
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound for every account');

select * from finish(true);
rollback;
