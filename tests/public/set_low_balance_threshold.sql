-- set_low_balance_threshold: an account's own threshold overrides its tier's at once, and null
-- returns it to the tier's; a refused call leaves the threshold as it was.
begin;
set local search_path to public, tap;
select plan(9);

-- basic (100 a month) with a threshold of 20.
update credit_tiers set low_balance_threshold = 20 where tier = 'basic';
select ensure_credit_account('00000000-0000-0000-0000-0000000000a1', 'basic');

-- The account's own threshold, at once.
select is(set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', 5), 5, 'an account''s own threshold');
select results_eq($$ select low_balance_threshold, low_balance_threshold_override from user_credits where user_id = '00000000-0000-0000-0000-0000000000a1' $$,
  $$ values (5, 5) $$, 'in effect now');
select is(set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', null), 20, 'null returns the account to its tier''s');
select is((select low_balance_threshold from get_credit_balance('00000000-0000-0000-0000-0000000000a1')), 20, 'the balance shows the threshold in effect');

-- Refusals: each with its code, nothing changed.
select throws_ok($$ select set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', 0) $$, 'CR003', null, 'a threshold of 0 is CR003');
select throws_ok($$ select set_low_balance_threshold('00000000-0000-0000-0000-0000000000ff', 5) $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select set_low_balance_threshold(null, 5) $$, 'CR003', null, 'a null user is CR003');
select results_eq($$ select low_balance_threshold, low_balance_threshold_override from user_credits where user_id = '00000000-0000-0000-0000-0000000000a1' $$,
  $$ values (20, null::integer) $$, 'a refused call changes nothing');

set local role authenticated;
select throws_ok($$ select set_low_balance_threshold('00000000-0000-0000-0000-0000000000a1', 50) $$, '42501', null, 'end users cannot set it');
reset role;

select * from finish(true);
rollback;
