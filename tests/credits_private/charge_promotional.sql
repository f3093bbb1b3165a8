-- credits_private.charge_promotional, start_generation's charge of an account holding promotional
-- credits: lots past their date expire first (lazy expiry, refused if their credits were needed),
-- then the lot expiring soonest is spent, then the next, then monthly, then purchased credits.
begin;
set local search_path to public, tap;
select plan(9);

-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values ('order', '00000000-0000-0000-0000-0000000000f1'), ('lazy', '00000000-0000-0000-0000-0000000000f3');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.charge(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'enhance', 'wavespeed', 'm', p_credits) $$;
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint)
  language sql as $$ select credits, monthly_credits, purchased_credits, promotional_credits from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.lapse(p_lot bigint) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = p_lot $$;

select grant_credits(pg_temp.id('order'), 20, 'pack', 'pack-1');
select grant_promotional_credits(pg_temp.id('order'), 50, '7 days', 'launch week', 'promo-1');

-- Spending order: the lot expiring soonest first, then the other, then monthly, then purchased.
select grant_promotional_credits(pg_temp.id('order'), 10, '1 day', 'flash sale', 'promo-2');
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (180::bigint, 100::bigint, 20::bigint, 60::bigint) $$,
  'two lots, 60 promotional credits');
select pg_temp.charge('order', 15);
select results_eq($$ select reason, remaining from credits_private.promotional_lots where user_id = pg_temp.id('order') order by id $$,
  $$ values ('launch week', 45::bigint), ('flash sale', 0::bigint) $$, 'the soonest lot first, then the next');
select pg_temp.charge('order', 100);
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (65::bigint, 45::bigint, 20::bigint, 0::bigint) $$,
  'then monthly credits');
select results_eq($$ select amount, monthly_amount, promotional_amount from credit_transactions
                     where user_id = pg_temp.id('order') and type = 'usage' order by amount desc $$,
  $$ values (-15::bigint, 0::bigint, -15::bigint), (-100::bigint, -55::bigint, -45::bigint) $$, 'each usage row records its split');
select pg_temp.charge('order', 60);
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (5::bigint, 0::bigint, 5::bigint, 0::bigint) $$,
  'then purchased credits');

-- Lazy expiry: a charge first expires the lots past their date (an expiration row each).
select grant_promotional_credits(pg_temp.id('lazy'), 30, '1 day', 'spring', 'l-1');
select grant_promotional_credits(pg_temp.id('lazy'), 5, '1 day', 'summer', 'l-2');
select pg_temp.lapse(id) from credits_private.promotional_lots where user_id = pg_temp.id('lazy');
select throws_ok($$ select pg_temp.charge('lazy', 101) $$, 'CR001', null, 'expired credits cannot be spent');
select throws_like($$ select pg_temp.charge('lazy', 136) $$, '%the account holds 100%',
  'a refusal counts what the account holds once the expired lots are gone');
select pg_temp.charge('lazy', 10);
select results_eq($$ select amount, promotional_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('lazy') and type = 'expiration' order by amount $$,
  $$ values (-30::bigint, -30::bigint, 105::bigint), (-5::bigint, -5::bigint, 100::bigint) $$,
  'the charge expired both lots first, soonest first, each row with the balance after it');
select results_eq($$ select * from pg_temp.buckets('lazy') $$, $$ values (90::bigint, 90::bigint, 0::bigint, 0::bigint) $$,
  'and charged the monthly credits');

select * from finish();
rollback;
