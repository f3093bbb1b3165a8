-- credits_private.credit_account_is_valid, the integrity rule of an account row (its CHECK
-- user_credits_row_check, migration 0006): the buckets add up, nothing is negative, a period
-- starts on the first; each broken rule is refused with 23514 and a message naming it.
begin;
set local search_path to public, tap;
select plan(7);

select lives_ok($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, period_start) values (gen_random_uuid(), 5, 2, 3, '2026-11-01') $$,
  'an account whose buckets add up passes');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), 5, 1, 1) $$,
  '%credits 5 must equal monthly_credits 1 + purchased_credits 1 + promotional_credits 0%', 'buckets that do not add up are refused');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, promotional_credits) values (gen_random_uuid(), 5, 1, 1, 2) $$,
  '%credits 5 must equal monthly_credits 1 + purchased_credits 1 + promotional_credits 2%', 'the promotional bucket is part of the sum');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits, promotional_credits) values (gen_random_uuid(), 0, 1, 0, -1) $$,
  '%no balance or counter may be negative%', 'a negative promotional bucket is refused');
select throws_like($$ insert into user_credits (user_id, credits, monthly_credits, purchased_credits) values (gen_random_uuid(), -1, 0, -1) $$,
  '%no balance or counter may be negative%', 'a negative balance is refused');
select throws_like($$ insert into user_credits (user_id, period_start) values (gen_random_uuid(), '2026-11-02') $$,
  '%period_start must be the first day of a month, not 2026-11-02%', 'a period that does not start on the first is refused');

select is(
  (select array_agg(conname::text order by conname) from pg_constraint where contype = 'c' and conrelid = 'user_credits'::regclass),
  array['user_credits_row_check'], 'one check on user_credits, this rule''s');

select * from finish();
rollback;
