-- grant_credits: a purchase into the purchased bucket, idempotent per key (another amount under
-- the same key is CR006); every refusal has its code.
begin;
set local search_path to public, tap;
select plan(12);

select ensure_credit_account('00000000-0000-0000-0000-00000000006a', 'free');
create temp table g as select * from grant_credits('00000000-0000-0000-0000-00000000006a', 250, 'stripe pi_123', 'pi_123');
select results_eq($$ select balance, replayed from g $$, $$ values (260::bigint, false) $$, 'a grant adds to the balance');
select results_eq($$ select type, amount, monthly_amount, description, origin from credit_transactions where id = (select transaction_id from g) $$,
  $$ values ('purchase', 250::bigint, 0::bigint, 'stripe pi_123', 'rpc') $$, 'it is one purchase row in the purchased bucket');
select results_eq($$ select transaction_id, balance, replayed from grant_credits('00000000-0000-0000-0000-00000000006a', 250, 'stripe pi_123', 'pi_123') $$,
  $$ select transaction_id, balance, true from g $$, 'the same key replays the first grant');
select is((select purchased_credits from user_credits where user_id = '00000000-0000-0000-0000-00000000006a'), 250::bigint, 'a replay adds nothing');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 300, 'stripe pi_123', 'pi_123') $$, 'CR006', null, 'the same key with another amount is CR006');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 5, 'x', null) $$, 'CR003', null, 'the key is required');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 0, 'x', 'k0') $$, 'CR003', null, 'zero credits is CR003');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 100000001, 'x', 'k1') $$, 'CR003', null, 'an absurd grant is CR003');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 5, '', 'k2') $$, 'CR003', null, 'an empty reason is CR003');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-0000000000ff', 5, 'x', 'k3') $$, 'CR002', null, 'no account is CR002');

select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 5, E'\r\n', 'k3') $$, 'CR003', null, 'a reason of whitespace is CR003');
select throws_ok($$ select grant_credits('00000000-0000-0000-0000-00000000006a', 5, 'x', E'\t') $$, 'CR003', null, 'a key of whitespace is CR003');
select * from finish(true);
rollback;
