begin;
set local search_path to public, tap;
select plan(17);

-- Low-balance events: basic (100 a month) with a threshold of 20.
update credit_tiers set low_balance_threshold = 20 where tier = 'basic';
select ensure_credit_account('00000000-0000-0000-0000-0000000000a1', 'basic');
create function pg_temp.events() returns table (balance bigint, threshold integer)
  language sql as $$ select balance, threshold from credits_private.credit_events
                      where user_id = '00000000-0000-0000-0000-0000000000a1' order by id $$;

select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 70);
select is_empty($$ select * from pg_temp.events() $$, 'a charge that stays at or above the threshold writes nothing (100 -> 30)');
create temp table crossing as select * from start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 11);
select results_eq($$ select * from pg_temp.events() $$, $$ values (19::bigint, 20) $$, 'the charge that crosses it writes one event (30 -> 19)');
select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 4);
select is((select count(*)::int from pg_temp.events()), 1, 'a charge already below writes nothing more (19 -> 15)');
select fail_generation((select task_id from crossing), 'oom');
select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 6);
select results_eq($$ select * from pg_temp.events() $$, $$ values (19::bigint, 20) $$,
  'a refund lifts it back (15 -> 26); a charge to the threshold itself (26 -> 20) is not below it');
select start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 1);
select results_eq($$ select * from pg_temp.events() $$, $$ values (19::bigint, 20), (19::bigint, 20) $$,
  'the next charge crosses again (20 -> 19): a new crossing, a new event');

-- The account's own threshold, at once.
select is(set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', 5), 5, 'an account''s own threshold');
select results_eq($$ select low_balance_threshold, low_balance_threshold_override from user_credits where user_id = '00000000-0000-0000-0000-0000000000a1' $$,
  $$ values (5, 5) $$, 'in effect now');
select is(set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', null), 20, 'null returns the account to its tier''s');
select is((select low_balance_threshold from get_credit_balance('00000000-0000-0000-0000-0000000000a1')), 20, 'the balance shows the threshold in effect');
select throws_ok($$ select set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', 0) $$, 'CR003', null, 'a threshold of 0 is CR003');
select throws_ok($$ select set_low_balance_threshold('00000000-0000-0000-0000-0000000000ff', 5) $$, 'CR002', null, 'no account is CR002');

-- Consumers: claim leases, complete marks done.
select results_eq($$ select kind, balance from claim_credit_events(1) $$, $$ values ('low_balance', 19::bigint) $$, 'a claim hands out the oldest event');
select results_eq($$ select balance, attempts from claim_credit_events() $$, $$ values (19::bigint, 1) $$,
  'the next claim skips the leased one and gets the second');
select is(complete_credit_events((select array_agg(id) from credits_private.credit_events where user_id = '00000000-0000-0000-0000-0000000000a1')), 2,
  'completing marks both done');
select is_empty($$ select * from claim_credit_events() $$, 'done events are not handed out again');
select throws_ok($$ select * from claim_credit_events(0) $$, 'CR003', null, 'p_limit 0 is CR003');
select throws_ok($$ select * from claim_credit_events(10, '2 hours') $$, 'CR003', null, 'a lease over an hour is CR003');

select * from finish(true);
rollback;
