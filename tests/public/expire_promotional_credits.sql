-- expire_promotional_credits, the expiry job: it closes the lots past their date (an expiration
-- row each; a lot spent to nothing only marked), each once, and leaves the others alone.
begin;
set local search_path to public, tap;
select plan(5);

-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values ('job', '00000000-0000-0000-0000-0000000000f4'), ('spent', '00000000-0000-0000-0000-0000000000f2');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.charge(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'enhance', 'wavespeed', 'm', p_credits) $$;
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint)
  language sql as $$ select credits, monthly_credits, purchased_credits, promotional_credits from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.lapse(p_lot bigint) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = p_lot $$;

-- A lot spent to nothing, then past its date: the job only marks it.
select grant_promotional_credits(pg_temp.id('spent'), 10, '1 day', 'a', 'r-1');
select pg_temp.charge('spent', 10);
select pg_temp.lapse((select id from credits_private.promotional_lots where user_id = pg_temp.id('spent')));

-- The expiry job: due lots only, each once; refusals.
select grant_promotional_credits(pg_temp.id('job'), 40, '1 day', 'due', 'j-1');
select grant_promotional_credits(pg_temp.id('job'), 7, '3 days', 'later', 'j-2');
select pg_temp.lapse(id) from credits_private.promotional_lots where user_id = pg_temp.id('job') and reason = 'due';
select results_eq($$ select lots, accounts, credits_expired from expire_promotional_credits() $$,
  $$ values (2, 1, 40::bigint) $$, 'the job expires the lots past their date (the spent lot only marked)');
select results_eq($$ select lots, accounts, credits_expired from expire_promotional_credits() $$,
  $$ values (0, 0, 0::bigint) $$, 'a second run finds nothing to expire');
select results_eq($$ select amount, promotional_amount, period_start from credit_transactions
                     where type = 'expiration' and promotional_amount < 0 $$,
  $$ values (-40::bigint, -40::bigint, null::date) $$, 'one expiration row, of the promotional bucket, in no period');
select results_eq($$ select * from pg_temp.buckets('job') $$, $$ values (107::bigint, 100::bigint, 0::bigint, 7::bigint) $$,
  'the later lot is untouched');
select throws_ok($$ select * from expire_promotional_credits(0) $$, 'CR003', 'p_limit must be between 1 and 100000', 'p_limit 0 is CR003');

select * from finish();
rollback;
