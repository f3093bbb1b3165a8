-- verify_open_period (issue 30): verify_ledger's invariants for what changed since the last
-- closing, against its checkpoints: before any closing it is the full proof; after one, it finds
-- a balance that differs from its checkpoint plus the rows since, and a task the rows since touch
-- that breaks a rule; a closed period it does not read (the checkpoint stands in for it); only
-- the service may call it.
begin;
set local search_path to public, tap;
select plan(10);

create temp table u (name text primary key, id uuid);
insert into u values ('a', '00000000-0000-0000-0000-0000000021a1'), ('b', '00000000-0000-0000-0000-0000000021a2');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'm', p_credits) $$;

select pg_temp.start('a', 10);
select pg_temp.start('b', 20);
select is_empty($$ select * from verify_open_period() $$, 'sound, before any closing');
-- before any closing it is the full proof: a tampered balance shows in both
update user_credits set credits = credits + 1, purchased_credits = purchased_credits + 1 where user_id = pg_temp.id('a');
select results_eq($$ select invariant, user_id from verify_open_period() $$, $$ select invariant, user_id from verify_ledger() $$,
  'before any closing, it finds what verify_ledger finds');
update user_credits set credits = credits - 1, purchased_credits = purchased_credits - 1 where user_id = pg_temp.id('a');

-- Close what was written "two days ago" (created_at moved back), then write today.
update credit_transactions set created_at = created_at - interval '2 days';
update enhancement_tasks set created_at = created_at - interval '2 days';
select close_ledger();
create temp table t as select pg_temp.start('a', 5) as task;
select is_empty($$ select * from verify_open_period() $$, 'sound after the closing, with rows since');

-- A balance that differs from its checkpoint plus its rows since.
update user_credits set credits = credits + 3, purchased_credits = purchased_credits + 3 where user_id = pg_temp.id('b');
select results_eq($$ select invariant, user_id from verify_open_period() $$, $$ values ('balance_mismatch', pg_temp.id('b')) $$,
  'an account changed without a ledger row since the closing: balance_mismatch');
update user_credits set credits = credits - 3, purchased_credits = purchased_credits - 3 where user_id = pg_temp.id('b');

-- A checkpoint that is not what its rows add up to: the daily proof trusts it, the full one proves it.
update credits_private.closed_balances set ledger_sum = ledger_sum + 2 where user_id = pg_temp.id('b');
select results_eq($$ select invariant, user_id from verify_open_period() $$, $$ values ('balance_mismatch', pg_temp.id('b')) $$,
  'a tampered checkpoint shows as a balance that differs from it');
select results_eq($$ select invariant, user_id from verify_ledger() $$, $$ values ('checkpoint_mismatch', pg_temp.id('b')) $$,
  'the full proof reads the rows: it finds the checkpoint that is not what they add up to');
update credits_private.closed_balances set ledger_sum = ledger_sum - 2 where user_id = pg_temp.id('b');

-- A task the open period touches: a refund of a task still in flight.
insert into credit_transactions (user_id, amount, monthly_amount, type, task_id, provider, balance_after)
select pg_temp.id('a'), 5, 0, 'refund', task, 'wavespeed', 90 from t;
update user_credits set credits = credits + 5, purchased_credits = purchased_credits + 5 where user_id = pg_temp.id('a');
select results_eq($$ select invariant, task_id from verify_open_period() where task_id is not null $$,
  $$ values ('refund_not_failed', (select task from t)) $$, 'a task touched since the closing is checked with all its rows');

-- A task charged before the closing, refunded since: its charge, a closed row, is read by its id.
select fail_generation(id, 'boom') from enhancement_tasks where user_id = pg_temp.id('b') and credits_used = 20;
-- 7 credits short, taken from the bucket the refund went to (the balance stays what the rows say)
with r as (
  select c.id, c.monthly_amount >= 7 as monthly from credit_transactions c join enhancement_tasks e on e.id = c.task_id
   where c.type = 'refund' and e.user_id = pg_temp.id('b')
), shortened as (
  update credit_transactions c set amount = c.amount - 7, monthly_amount = c.monthly_amount - case when r.monthly then 7 else 0 end
    from r where c.id = r.id returning r.monthly
)
update user_credits set credits = credits - 7,
       monthly_credits = monthly_credits - case when (select monthly from shortened) then 7 else 0 end,
       purchased_credits = purchased_credits - case when (select monthly from shortened) then 0 else 7 end
 where user_id = pg_temp.id('b');
select results_eq($$ select invariant, task_id from verify_open_period() where task_id is not null and invariant <> 'refund_not_failed' $$,
  $$ select 'refund_mismatch', id from enhancement_tasks where user_id = pg_temp.id('b') and credits_used = 20 $$,
  'a task charged before the closing and refunded short since: refund_mismatch, from its closed charge');

-- Who may call it.
set local role authenticated;
select throws_ok($$ select * from verify_open_period() $$, '42501', null, 'end users may not call it');
reset role;
set local role credits_analyst;
select throws_ok($$ select * from verify_open_period() $$, '42501', null, 'nor analysts (they have verify_ledger)');
reset role;

select * from finish(true);
rollback;
