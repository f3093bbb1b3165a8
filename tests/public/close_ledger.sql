-- close_ledger (issue 30): closes the ledger through an instant (by default 00:00 UTC today):
-- each account the period changed gets its checkpoint (the last one plus the period's rows) in
-- credits_private.closed_balances, the closing its row; closing again changes nothing; a ledger
-- that is not sound is not closed (CR005) and nothing is written; the closed rows are
-- write-protected (CR005) while the open period's are not; only the service may call it.
begin;
set local search_path to public, tap;
select plan(21);

-- The test runs in one transaction, so now() stands still: rows "were written" two days ago by
-- moving their created_at back before the first closing.
create temp table u (name text primary key, id uuid);
insert into u values
  ('old', '00000000-0000-0000-0000-0000000020a1'), ('both', '00000000-0000-0000-0000-0000000020a2'),
  ('new', '00000000-0000-0000-0000-0000000020a3'), ('debt', '00000000-0000-0000-0000-0000000020a4');
select ensure_credit_account(id, 'basic') from u;  -- 100 monthly credits each
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'm', p_credits) $$;
create temp table today as select date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' as midnight;

-- Two days ago: old and both charge, both gets a refund and a promotional grant, debt owes.
select pg_temp.start('old', 30);
select fail_generation(pg_temp.start('both', 40), 'oom');
select grant_promotional_credits(pg_temp.id('both'), 15, '30 days', 'welcome', 'promo-both');
select revoke_credits(pg_temp.id('debt'), 130, 'chargeback', 'cb-1');  -- 100 held: owes 30
update credit_transactions set created_at = created_at - interval '2 days' where user_id <> pg_temp.id('new');
update enhancement_tasks set created_at = created_at - interval '2 days' where user_id <> pg_temp.id('new');
-- Today: both and new charge (the open period).
select pg_temp.start('both', 5);
select pg_temp.start('new', 7);
create temp table closed_rows as
  select * from credit_transactions where created_at < (select midnight from today);

-- 1. The closing.
select results_eq($$ select closed_through, ledger_rows, accounts, outcome from close_ledger() $$,
  $$ values ((select midnight from today), (select count(*) from closed_rows), 3::bigint, 'closed') $$,
  'closes through 00:00 UTC today: the period''s rows and the accounts they changed');
select results_eq($$ select user_id, ledger_sum, monthly_credits, promotional_credits, debt_credits, ledger_rows
                     from credits_private.closed_balances order by user_id $$,
  $$ select user_id, sum(amount)::bigint, sum(monthly_amount)::bigint, sum(promotional_amount)::bigint,
            coalesce(-sum(debt_amount), 0)::bigint, count(*)
       from closed_rows group by user_id order by user_id $$,
  'each account''s checkpoint is the sums of its rows before the instant (Σ amount, the monthly and promotional parts, the debt)');
select is((select debt_credits from credits_private.closed_balances where user_id = pg_temp.id('debt')), 30::bigint,
  'a debt is in the checkpoint');
select is_empty($$ select 1 from credits_private.closed_balances where user_id = pg_temp.id('new') $$,
  'an account the period did not change has no checkpoint');
select results_eq($$ select closed_through, ledger_rows, accounts from credits_private.ledger_closings $$,
  $$ values ((select midnight from today), (select count(*) from closed_rows), 3::bigint) $$, 'the closing is recorded');
select is_empty($$ select * from verify_open_period() $$, 'the open period proves sound against the checkpoint');
select is_empty($$ select * from verify_ledger() $$, 'and so does the full proof');

-- 2. Again: nothing to do.
select results_eq($$ select closed_through, ledger_rows, accounts, outcome from close_ledger() $$,
  $$ values ((select midnight from today), 0::bigint, 0::bigint, 'already_closed') $$, 'closing the same instant again changes nothing');
select results_eq($$ select outcome from close_ledger((select midnight from today) - interval '1 day') $$,
  $$ values ('already_closed') $$, 'an earlier instant is already closed');
select is((select count(*)::int from credits_private.ledger_closings), 1, 'one closing');

-- 3. A ledger that is not sound is not closed. (now() stands still: the tampering is undone.)
update user_credits set credits = credits + 1, purchased_credits = purchased_credits + 1 where user_id = pg_temp.id('new');
select throws_like($$ select * from close_ledger(now()) $$, '%not sound%', 'a ledger that is not sound is not closed (CR005)');
update user_credits set credits = credits - 1, purchased_credits = purchased_credits - 1 where user_id = pg_temp.id('new');
select is((select count(*)::int from credits_private.ledger_closings), 1, 'the refused closing wrote nothing');

-- 4. A later instant: the checkpoint moves on by the rows since (both and new charged today, a
-- second before now: the test's own rows are stamped now(), which no closing may pass).
update credit_transactions set created_at = now() - interval '1 second' where created_at >= (select midnight from today);
select results_eq($$ select ledger_rows, accounts, outcome from close_ledger(now()) $$,
  $$ values (3::bigint, 2::bigint, 'closed') $$, 'a later instant closes the rows since the last one');
select results_eq($$ select ledger_sum, ledger_rows from credits_private.closed_balances where user_id = pg_temp.id('both') $$,
  $$ select sum(amount)::bigint, count(*) from credit_transactions where user_id = pg_temp.id('both') $$,
  'the checkpoint adds the period''s rows to the last one');

-- 5. Closed rows are write-protected; refusals write nothing.
select throws_ok($$ update credit_transactions set description = 'edited' where user_id = pg_temp.id('old') $$, 'CR005', null,
  'a closed row cannot be changed');
select throws_ok($$ delete from credit_transactions where user_id = pg_temp.id('old') $$, 'CR005', null,
  'nor deleted');
select pg_temp.start('new', 1);  -- stamped now(): the open period
select throws_ok($$ update credit_transactions set created_at = created_at - interval '3 days'
                     where user_id = pg_temp.id('new') and created_at >= now() $$,
  'CR005', null, 'nor may an open row be moved into a closed period');
select throws_ok($$ truncate credit_transactions $$, 'CR005', null, 'nor the ledger truncated once closed');
select throws_ok($$ select * from close_ledger(now() + interval '1 minute') $$, 'CR003', null, 'an instant still to come is CR003');

-- 6. Who may call it: the service, not end users.
set local role authenticated;
select throws_ok($$ select * from close_ledger() $$, '42501', null, 'end users may not close the ledger');
reset role;
set local role credits_analyst;
select throws_ok($$ select * from close_ledger() $$, '42501', null, 'nor analysts');
reset role;

select * from finish(true);
rollback;
