-- decline_top_up (contract §13): the application could not buy a top-up request's credits: the
-- request reads declined and closes, so the next crossing asks again; declining twice changes
-- nothing, a granted request stays granted, and a grant with the key after a decline still
-- grants. Every refusal is CR003 and writes nothing; only the service may call it.
begin;
set local search_path to public, tap;
select plan(29);

create temp table u (name text primary key, id uuid);
insert into u values
  ('card', '00000000-0000-0000-0000-000000001e01'), ('low', '00000000-0000-0000-0000-000000001e02'),
  ('role', '00000000-0000-0000-0000-000000001e03'), ('lapse', '00000000-0000-0000-0000-000000001e04');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
-- The account's n-th top-up request (1: the first), its key and its outcome.
create function pg_temp.request(p_name text, p_n integer) returns bigint language sql as $$
  select id from credits_private.credit_events where user_id = pg_temp.id(p_name) and kind = 'top_up_requested'
   order by id offset p_n - 1 limit 1 $$;
create function pg_temp.key(p_event bigint) returns text language sql as $$ select 'auto-top-up:' || p_event $$;
create function pg_temp.outcome(p_event bigint) returns text language sql as $$
  select outcome from credits_private.credit_events where id = p_event $$;
create function pg_temp.open_request(p_name text) returns bigint language sql as $$
  select open_event_id from credits_private.auto_top_ups where user_id = pg_temp.id(p_name) $$;

-- card: threshold 20, target 80, no monthly limit.
select set_auto_top_up(pg_temp.id(name), 20, 80, null) from u;
select pg_temp.start('card', 85);  -- 100 -> 15: request 1, 65 credits
select is(pg_temp.open_request('card'), pg_temp.request('card', 1), 'the crossing opened a request');

-- 1. Declined, then already declined.
select results_eq($$ select event_id, user_id, credits, outcome from decline_top_up(pg_temp.request('card', 1)) $$,
  $$ values (pg_temp.request('card', 1), pg_temp.id('card'), 65, 'declined') $$,
  'result: the event, its account, its credits, outcome declined');
select results_eq($$ select outcome, resolved_at from credits_private.credit_events where id = pg_temp.request('card', 1) $$,
  $$ values ('declined', now()) $$, 'the request reads declined, resolved now');
select is(pg_temp.open_request('card'), null, 'declining closes the open request');
select results_eq($$ select requested_credits from credits_private.auto_top_ups where user_id = pg_temp.id('card') $$,
  $$ values (65::bigint) $$, 'a declined request still counts against the month');
select results_eq($$ select event_id, user_id, credits, outcome from decline_top_up(pg_temp.request('card', 1)) $$,
  $$ values (pg_temp.request('card', 1), pg_temp.id('card'), 65, 'already_declined') $$, 'declining again: already_declined');
select results_eq($$ select outcome, resolved_at from credits_private.credit_events where id = pg_temp.request('card', 1) $$,
  $$ values ('declined', now()) $$, 'declining again changes nothing');

-- 2. Closed, so the next crossing asks again.
select grant_credits(pg_temp.id('card'), 50, 'pack', 'card-pack');  -- 15 -> 65
select pg_temp.start('card', 50);  -- 65 -> 15: request 2
select results_eq($$ select balance, credits from credits_private.credit_events where id = pg_temp.request('card', 2) $$,
  $$ values (15::bigint, 65) $$, 'after a decline, the next crossing asks again');
select is(pg_temp.open_request('card'), pg_temp.request('card', 2), 'the new request is the open one');

-- 3. A grant with the key after a decline still grants; the request reads granted.
select results_eq($$ select balance, replayed from grant_credits(pg_temp.id('card'), 65, 'automatic top-up', pg_temp.key(pg_temp.request('card', 1))) $$,
  $$ values (80::bigint, false) $$, 'a grant with a declined request''s key still grants');
select is(pg_temp.outcome(pg_temp.request('card', 1)), 'granted', 'the declined request now reads granted');
select is(pg_temp.open_request('card'), pg_temp.request('card', 2), 'the grant of the old request leaves the open one open');
select results_eq($$ select event_id, credits, outcome from decline_top_up(pg_temp.request('card', 1)) $$,
  $$ values (pg_temp.request('card', 1), 65, 'already_granted') $$, 'declining it now: already_granted');

-- 4. A granted request stays granted.
select grant_credits(pg_temp.id('card'), 65, 'automatic top-up', pg_temp.key(pg_temp.request('card', 2)));  -- 80 -> 145
select is(pg_temp.open_request('card'), null, 'the grant closed the open request');
select results_eq($$ select event_id, user_id, credits, outcome from decline_top_up(pg_temp.request('card', 2)) $$,
  $$ values (pg_temp.request('card', 2), pg_temp.id('card'), 65, 'already_granted') $$, 'a granted request reads already_granted');
select is(pg_temp.outcome(pg_temp.request('card', 2)), 'granted', 'and stays granted');
select results_eq($$ select credits from user_credits where user_id = pg_temp.id('card') $$, $$ values (145::bigint) $$,
  'declining takes no credits back');

-- 5. A request that lapsed (24 hours unanswered, closed by a claim) can still be declined.
select pg_temp.start('lapse', 85);  -- 100 -> 15: request 1
update credits_private.credit_events set created_at = now() - interval '25 hours' where id = pg_temp.request('lapse', 1);
select count(*) from claim_credit_events(1000);  -- closes it: lapsed
select is(pg_temp.outcome(pg_temp.request('lapse', 1)), 'lapsed', 'a request unanswered for 24 hours lapses at the next claim');
select results_eq($$ select outcome from decline_top_up(pg_temp.request('lapse', 1)) $$, $$ values ('declined') $$,
  'a lapsed request declined reads declined');

-- 6. Refusals: CR003, nothing written.
select set_low_balance_threshold(pg_temp.id('low'), 30);
select set_auto_top_up(pg_temp.id('low'), null, null, null);
select pg_temp.start('low', 75);  -- 100 -> 25: a low_balance event only
select pg_temp.start('card', 140);  -- 145 -> 5: request 3, open
create temp table before_refusals as select * from credits_private.credit_events;
create temp table settings_before as select * from credits_private.auto_top_ups;
select throws_ok($$ select * from decline_top_up(null) $$, 'CR003', null, 'a null event id is CR003');
select throws_ok($$ select * from decline_top_up((select max(id) + 1000 from credits_private.credit_events)) $$, 'CR003', null,
  'an unknown event id is CR003');
select throws_ok($$ select * from decline_top_up((select id from credits_private.credit_events where user_id = pg_temp.id('low'))) $$,
  'CR003', null, 'a low_balance event''s id is CR003');
select set_eq($$ select * from credits_private.credit_events $$, $$ select * from before_refusals $$, 'the refusals wrote no event');
select set_eq($$ select * from credits_private.auto_top_ups $$, $$ select * from settings_before $$, 'the refusals closed no request');

-- 7. Who may call it: the service, not end users (the open request's id passed in a setting any role reads).
select set_config('test.request', pg_temp.request('card', 3)::text, true);
set local role authenticated;
select throws_ok($$ select * from decline_top_up(current_setting('test.request')::bigint) $$, '42501', null,
  'authenticated may not decline a top-up');
reset role;
set local role anon;
select throws_ok($$ select * from decline_top_up(current_setting('test.request')::bigint) $$, '42501', null,
  'anon may not decline a top-up');
reset role;
select is(pg_temp.outcome(pg_temp.request('card', 3)), null, 'the refused callers declined nothing');
set local role credits_service;
select results_eq($$ select outcome from decline_top_up(current_setting('test.request')::bigint) $$, $$ values ('declined') $$,
  'credits_service may');
reset role;

select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

select * from finish(true);
rollback;
