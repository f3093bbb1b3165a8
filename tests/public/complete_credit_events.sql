-- complete_credit_events: a consumer marks the events it acted on done, and they are never handed
-- out again; marking one twice, or one that does not exist, changes nothing.
begin;
set local search_path to public, tap;
select plan(6);

-- Two low-balance events of one account: basic (100 a month), threshold 20, two charges of 81
-- that cross it (100 -> 19), the first refunded in between.
update credit_tiers set low_balance_threshold = 20 where tier = 'basic';
select ensure_credit_account('00000000-0000-0000-0000-0000000000a1', 'basic');
create temp table charges as
  select 1 n, task_id from start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 81);
select fail_generation((select task_id from charges where n = 1), 'oom');
insert into charges select 2, task_id from start_generation('00000000-0000-0000-0000-0000000000a1', 'enhance', 'wavespeed', 'm', 81);
select claim_credit_events();

select is(complete_credit_events((select array_agg(id) from credits_private.credit_events where user_id = '00000000-0000-0000-0000-0000000000a1')), 2,
  'completing marks both done');
select is_empty($$ select * from claim_credit_events() $$, 'done events are not handed out again');
select ok((select bool_and(done_at = now() and claimed_until is null) from credits_private.credit_events), 'each marked done, its lease cleared');
select is(complete_credit_events((select array_agg(id) from credits_private.credit_events)), 0, 'marking them again changes nothing');
select is(complete_credit_events(array[-1]::bigint[]), 0, 'an event that does not exist changes nothing');
select throws_ok($$ select complete_credit_events(null) $$, 'CR003', null, 'a null list is CR003');

select * from finish(true);
rollback;
