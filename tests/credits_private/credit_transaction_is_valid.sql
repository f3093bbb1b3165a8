-- credits_private.credit_transaction_is_valid, the integrity rule of a ledger row (its CHECK
-- credit_transactions_row_check, migration 0006): each broken rule is refused with 23514 and a
-- message naming it; legacy rows keep their original signs.
begin;
set local search_path to public, tap;
select plan(11);

select lives_ok($$ insert into credit_transactions (user_id, amount, monthly_amount, type) values (gen_random_uuid(), -3, -2, 'usage') $$,
  'a charge split between the buckets passes');
select throws_ok($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'gift') $$,
  '23514', 'credit_transactions row refused: type must be usage, refund, allocation, expiration, purchase, adjustment, tier_upgrade or revocation, not ''gift''',
  'an unknown ledger type is refused, by name');
select throws_like($$ insert into credit_transactions (user_id, amount, type, origin) values (gen_random_uuid(), 5, 'purchase', 'import') $$,
  '%origin must be legacy, rpc, sweeper, adoption, backfill or settlement%', 'an unknown ledger origin is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'usage') $$,
  '%amount 5 has the wrong sign for type ''usage''%', 'a positive usage is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), -5, 'refund') $$,
  '%amount -5 has the wrong sign for type ''refund''%', 'a negative refund is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 0, 'adjustment') $$,
  '%wrong sign%', 'an adjustment of nothing is refused');
select throws_like($$ insert into credit_transactions (user_id, amount, monthly_amount, type) values (gen_random_uuid(), -3, -4, 'usage') $$,
  '%monthly_amount -4 must lie between 0 and amount -3%', 'a monthly part larger than the amount is refused');
select lives_ok($$ insert into credit_transactions (user_id, amount, monthly_amount, promotional_amount, type) values (gen_random_uuid(), -5, -2, -3, 'usage') $$,
  'a charge split among the three buckets passes');
select throws_like($$ insert into credit_transactions (user_id, amount, type) values (gen_random_uuid(), 5, 'revocation') $$,
  '%amount 5 has the wrong sign for type ''revocation''%', 'a positive revocation is refused (contract §13: it takes credits back)');
select lives_ok($$ insert into credit_transactions (user_id, amount, type, origin) values (gen_random_uuid(), 7, 'usage', 'legacy') $$,
  'legacy ledger rows keep their original signs');

select is(
  (select array_agg(conname::text order by conname) from pg_constraint where contype = 'c' and conrelid = 'credit_transactions'::regclass),
  array['credit_transactions_row_check'], 'one check on credit_transactions, this rule''s');

select * from finish();
rollback;
