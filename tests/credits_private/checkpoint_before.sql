-- checkpoint_before and the month-edge checkpoints (issue 30): a closing records each account's
-- sums at every UTC month edge it crosses (credits_private.month_balances, for the accounts with
-- rows in the month before); checkpoint_before picks the latest checkpoint at or before an
-- instant (a month edge, or the last closing); credit_balance_at and the statements read from it
-- and give exactly what every row gives; the full proof finds a checkpoint that disagrees with
-- its rows.
begin;
set local search_path to public, tap;
select plan(13);

create temp table u (name text primary key, id uuid);
insert into u values ('busy', '00000000-0000-0000-0000-0000000035a1'), ('quiet', '00000000-0000-0000-0000-0000000035a2');
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
-- The test runs in one transaction, so now() stands still: each step's rows move to their instant.
create function pg_temp.move(p_at timestamptz) returns void language sql as $$
  update credit_transactions set created_at = p_at where created_at = now();
  update enhancement_tasks set created_at = p_at where created_at = now() $$;
create temp table m as select date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as this_month;
create function pg_temp.month(p_back integer) returns timestamptz language sql as $$
  select this_month - make_interval(months => p_back) from m $$;

-- Three months back: both accounts open (10 monthly credits, free tier) and buy 500; busy is charged
-- 7 two months back, 11 (then refunded) and 13 last month; quiet never again.
select ensure_credit_account(id, 'free') from u;
select grant_credits(id, 500, 'pack', 'pack-' || name) from u;
select pg_temp.move(pg_temp.month(3) + interval '3 days');
select start_generation(pg_temp.id('busy'), 'image', 'wavespeed', 'm', 7);
select pg_temp.move(pg_temp.month(2) + interval '10 days');
select fail_generation(task_id, 'oom') from start_generation(pg_temp.id('busy'), 'image', 'wavespeed', 'm', 11);
select pg_temp.move(pg_temp.month(1) + interval '1 day');
select start_generation(pg_temp.id('busy'), 'image', 'wavespeed', 'm', 13);
select pg_temp.move(pg_temp.month(1) + interval '20 days 5 hours');

select is((select outcome from close_ledger(pg_temp.month(0))), 'closed', 'the ledger closes through the start of this month');
select results_eq(
  $$ select u.name, b.at from credits_private.month_balances b join u on u.id = b.user_id order by 1, 2 $$,
  $$ values ('busy', pg_temp.month(2)), ('busy', pg_temp.month(1)), ('busy', pg_temp.month(0)), ('quiet', pg_temp.month(2)) $$,
  'a checkpoint at every month edge crossed, for the accounts with rows in the month before it');
select results_eq(
  $$ select ledger_sum, ledger_rows from credits_private.month_balances where user_id = pg_temp.id('busy') order by at $$,
  $$ values (510::bigint, 2::bigint), (503::bigint, 3::bigint), (490::bigint, 6::bigint) $$,
  'each holds the sums of the account''s rows before its edge (a refunded charge nets to nothing)');

-- After the closing: busy charges today (the open period).
select start_generation(pg_temp.id('busy'), 'image', 'wavespeed', 'm', 2);
select is((select at from credits_private.checkpoint_before(pg_temp.id('busy'), pg_temp.month(1) + interval '3 days')),
          pg_temp.month(1), 'checkpoint_before: the latest month edge at or before the instant');
select is((select at from credits_private.checkpoint_before(pg_temp.id('quiet'), now())), pg_temp.month(0),
          'or the last closing, when it is later (an account it did not change keeps the closing that did)');
select is((select at from credits_private.checkpoint_before(pg_temp.id('busy'), pg_temp.month(3))), '-infinity'::timestamptz,
          'none before the first: every row is summed');

-- The reads give what every row gives: compared with the same reads once the checkpoints are gone.
create temp table reads as
select u.name, i.at, b.total_credits, b.monthly_credits, b.purchased_credits, b.debt_credits
  from u, (values (pg_temp.month(3) + interval '4 days'), (pg_temp.month(2)), (pg_temp.month(2) + interval '10 days'),
                  (pg_temp.month(1) - interval '1 microsecond'), (pg_temp.month(1) + interval '1 day'), (pg_temp.month(0)),
                  (now())) i (at),
       lateral credit_balance_at(u.id, i.at) b;
create temp table statements as
select u.name, s.* from u, generate_series(0, 3) k, lateral credit_statement(u.id, pg_temp.month(k)::date) s;
select is((select count(*) from reads)::integer, 14, 'balances read at seven instants for both accounts');
select is((select total_credits from reads where name = 'busy' and at = now()), 488::bigint, 'busy holds 488 now (2 charged today)');
savepoint without_checkpoints;
delete from credits_private.month_balances;
delete from credits_private.closed_balances;
select is_empty($$
  (select * from reads except select u.name, i.at, b.total_credits, b.monthly_credits, b.purchased_credits, b.debt_credits
                                from reads i join u using (name), lateral credit_balance_at(u.id, i.at) b)
  $$, 'credit_balance_at from a checkpoint equals the sum of every row');
select is_empty($$
  (select * from statements except select u.name, s.* from u, generate_series(0, 3) k, lateral credit_statement(u.id, pg_temp.month(k)::date) s)
  $$, 'and so do the statements, opening and closing balances included');
rollback to savepoint without_checkpoints;

-- The full proof proves the month checkpoints; the daily one starts from the last closing.
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');
update credits_private.month_balances set ledger_sum = ledger_sum + 1 where user_id = pg_temp.id('busy') and at = pg_temp.month(1);
select results_eq($$ select invariant, user_id from verify_ledger() $$, $$ values ('checkpoint_mismatch', pg_temp.id('busy')) $$,
                  'verify_ledger finds a month checkpoint that disagrees with its rows');
select is_empty($$ select * from verify_open_period() $$, 'the daily proof does not read the closed months');

select * from finish(true);
rollback;
