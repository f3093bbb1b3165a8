-- credits_private.return_promotional: a refund gives each promotional credit back to the lot it
-- came from while that lot is live; what came from a lot expired meanwhile returns as purchased
-- credits (fail_and_refund), so a refund never loses a credit.
begin;
set local search_path to public, tap;
select plan(6);

-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values ('refund', '00000000-0000-0000-0000-0000000000f2');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.charge(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'enhance', 'wavespeed', 'm', p_credits) $$;
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint)
  language sql as $$ select credits, monthly_credits, purchased_credits, promotional_credits from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.lapse(p_lot bigint) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = p_lot $$;

-- Refunds: to the lot while it is live, as purchased credits once it has expired.
select grant_promotional_credits(pg_temp.id('refund'), 10, '1 day', 'a', 'r-1');
select grant_promotional_credits(pg_temp.id('refund'), 10, '2 days', 'b', 'r-2');
create temp table t as select pg_temp.charge('refund', 25) task; -- 10 from a, 10 from b, 5 monthly
select results_eq($$ select refunded_credits from fail_generation((select task from t), 'provider error') $$,
  $$ values (25) $$, 'the refund gives back the whole charge');
select results_eq($$ select remaining from credits_private.promotional_lots where user_id = pg_temp.id('refund') order by id $$,
  $$ values (10::bigint), (10::bigint) $$, 'each credit to the lot it came from');
select results_eq($$ select * from pg_temp.buckets('refund') $$, $$ values (120::bigint, 100::bigint, 0::bigint, 20::bigint) $$,
  'the buckets as before the charge');
truncate t;
insert into t select pg_temp.charge('refund', 25);
select pg_temp.lapse((select min(id) from credits_private.promotional_lots where user_id = pg_temp.id('refund')));
select results_eq($$ select refunded_credits from fail_generation((select task from t), 'provider error') $$, $$ values (25) $$,
  'a refund after one lot has expired still gives back everything');
select results_eq($$ select * from pg_temp.buckets('refund') $$, $$ values (120::bigint, 100::bigint, 10::bigint, 10::bigint) $$,
  'the expired lot''s credits as purchased ones, the live lot''s to it');
select results_eq($$ select amount, monthly_amount, promotional_amount from credit_transactions
                     where task_id = (select task from t) and type = 'refund' $$,
  $$ values (25::bigint, 5::bigint, 10::bigint) $$, 'the refund row records the split it paid');

select * from finish();
rollback;
