-- claim_credit_events: consumers lease the outbox's events oldest first; a leased event goes to
-- no other consumer until its lease passes (a consumer that died), a done one never again.
begin;
set local search_path to public, tap;
select plan(13);

-- Two low-balance events of one account: basic (100 a month), threshold 20, two charges of 81
-- that cross it (100 -> 19), the first refunded in between.
update credit_tiers set low_balance_threshold = 20 where tier = 'basic';
select ensure_credit_account('00000000-0000-0000-0000-0000000000a1', 'basic');
create temp table charges as
  select 1 n, task_id from start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 81);
select fail_generation((select task_id from charges where n = 1), 'oom');
insert into charges select 2, task_id from start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 81);

-- Consumers: claim leases, oldest first.
select results_eq($$ select kind, balance, task_id from claim_credit_events(1) $$,
  $$ values ('low_balance', 19::bigint, (select task_id from charges where n = 1)) $$, 'a claim hands out the oldest event, with its charge');
select results_eq($$ select balance, attempts from claim_credit_events() $$, $$ values (19::bigint, 1) $$,
  'the next claim skips the leased one and gets the second');
select is_empty($$ select * from claim_credit_events() $$, 'both are leased: nothing more to hand out');
select ok((select bool_and(claimed_until = now() + interval '5 minutes') from credits_private.credit_events), 'each for p_lease, 5 minutes by default');

-- A consumer died: its lease passes (now() stands still in the test's transaction: the lease is moved back).
update credits_private.credit_events set claimed_until = now() - interval '1 second'
 where task_id = (select task_id from charges where n = 1);
select results_eq($$ select task_id, attempts from claim_credit_events(10, '1 minute') $$,
  $$ values ((select task_id from charges where n = 1), 2) $$, 'an event whose lease has passed is handed out again, its attempts counted');

-- p_kinds: a payment worker and an email worker each take their own kind. An account with a
-- low-balance threshold and an automatic top-up, both at 50: one charge, both events.
select ensure_credit_account('00000000-0000-0000-0000-0000000000a2', 'basic');
select set_low_balance_threshold('00000000-0000-0000-0000-0000000000a2', 50);
select set_auto_top_up('00000000-0000-0000-0000-0000000000a2', 50, 200, null);
select start_generation('00000000-0000-0000-0000-0000000000a2', 'enhance', 'wavespeed', 'm', 60);
select results_eq($$ select kind, credits from claim_credit_events(10, '1 minute', '{top_up_requested}') $$,
  $$ values ('top_up_requested', 160) $$, 'p_kinds: a payment worker gets the top-up request only');
select results_eq($$ select kind, user_id from claim_credit_events(10, '1 minute', '{low_balance}') $$,
  $$ values ('low_balance', '00000000-0000-0000-0000-0000000000a2'::uuid) $$, 'p_kinds: an email worker the low-balance event only');

-- Refusals: CR003, nothing leased.
create temp table leases_before as select id, claimed_until, attempts from credits_private.credit_events;
select throws_ok($$ select * from claim_credit_events(0) $$, 'CR003', null, 'p_limit 0 is CR003');
select throws_ok($$ select * from claim_credit_events(10, '2 hours') $$, 'CR003', null, 'a lease over an hour is CR003');
select throws_ok($$ select * from claim_credit_events(10, '0 seconds') $$, 'CR003', null, 'a lease under a second is CR003');
select throws_ok($$ select * from claim_credit_events(10, '1 minute', '{}') $$, 'CR003', null, 'an empty p_kinds is CR003');
select throws_ok($$ select * from claim_credit_events(10, '1 minute', '{low_balance,refund}') $$, 'CR003', null,
  'p_kinds naming another kind is CR003');
select set_eq($$ select id, claimed_until, attempts from credits_private.credit_events $$, $$ select * from leases_before $$,
  'a refused claim leases nothing');

select * from finish(true);
rollback;
