-- my_credit_balance: an end user's own balance, the user taken from PostgREST's JWT claims only;
-- claims that name no user (absent, malformed, not a uuid) are 42501, never a parse error.
begin;
set local search_path to public, tap;
select plan(10);

select ensure_credit_account('00000000-0000-0000-0000-00000000008a', 'basic');
select ensure_credit_account('00000000-0000-0000-0000-00000000008b', 'pro');
select grant_credits('00000000-0000-0000-0000-00000000008a', 40, 'gift', 'g');
select start_generation('00000000-0000-0000-0000-00000000008a', 'enhance', 'wavespeed', 'm', 30);

-- As an end user, through PostgREST's JWT claims.
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000008a", "role": "authenticated"}', true);
set local role authenticated;
create temp table mine as select * from my_credit_balance();
reset role;
select results_eq($$ select total_credits, tier from mine $$, $$ values (110::bigint, 'basic') $$, 'my_credit_balance answers for the JWT''s user');

set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000008b"}', true);
create temp table theirs as select * from my_credit_balance();
reset role;
select results_eq($$ select total_credits, tier from theirs $$, $$ values (500::bigint, 'pro') $$, 'another JWT, another user');

set local role authenticated;
select set_config('request.jwt.claims', '', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'no JWT user is 42501');
select set_config('request.jwt.claims', '{"sub": "not-a-uuid"}', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'a subject that is not a user id is 42501');
-- Claims that are not JSON (or not an object) name no user: 42501, never a parse error (22P02).
select set_config('request.jwt.claims', 'not json', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'claims that are not JSON are 42501');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000008a"', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'truncated JSON claims are 42501');
select set_config('request.jwt.claims', '["00000000-0000-0000-0000-00000000008a"]', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'claims that are a JSON array are 42501');
select set_config('request.jwt.claims', '{"sub": {"id": "00000000-0000-0000-0000-00000000008a"}}', true);
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'a subject that is an object is 42501');
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-0000000000ff"}', true);
select throws_ok($$ select my_credit_balance() $$, 'CR002', null, 'a user without an account is CR002');
reset role;
set local role anon;
select throws_ok($$ select my_credit_balance() $$, '42501', null, 'anon cannot call my_credit_balance');
reset role;

select * from finish(true);
rollback;
