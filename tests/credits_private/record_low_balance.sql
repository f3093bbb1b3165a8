-- credits_private.record_low_balance: when a low-balance event is written. Only a crossing (from
-- at or above the threshold to below) writes one, by a charge or by the expiry of promotional
-- credits; a balance already below, or exactly at the threshold, writes nothing.
begin;
set local search_path to public, tap;
select plan(7);

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

-- An expiry that takes a balance below its low-balance threshold is a crossing: one event, from
-- the job (no task), or from the charge that expired the lot first (with its task). The test
-- runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values ('event', '00000000-0000-0000-0000-0000000000f6'), ('lazy event', '00000000-0000-0000-0000-0000000000f7');
select ensure_credit_account(id, 'basic') from u;
select set_low_balance_threshold(id, 110) from u;
select grant_promotional_credits(id, 30, '1 day', 'soon gone', 'e-1') from u;
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = (select id from u where name = 'event');
select expire_promotional_credits();
select results_eq($$ select balance, threshold, task_id is null from credits_private.credit_events where user_id = (select id from u where name = 'event') $$,
  $$ values (100::bigint, 110, true) $$, 'the job''s expiry that crosses the threshold writes the event');
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = (select id from u where name = 'lazy event');
create temp table lazy_task as
  select task_id task from start_generation((select id from u where name = 'lazy event'), 'enhance', 'wavespeed', 'm', 5); -- 130 -> 100 (expiry) -> 95
select results_eq($$ select balance, threshold, task_id = (select task from lazy_task) from credits_private.credit_events
                     where user_id = (select id from u where name = 'lazy event') $$,
  $$ values (95::bigint, 110, true) $$, 'a charge whose lazy expiry began the crossing writes one event, with its task');

select * from finish(true);
rollback;
