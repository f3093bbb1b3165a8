-- get_credit_balance: the service's read of an account, as it stands now: buckets, tier, usage
-- and period; lots past their date left out (a read writes nothing), the soonest expiry shown.
begin;
set local search_path to public, tap;
select plan(6);

select ensure_credit_account('00000000-0000-0000-0000-00000000008a', 'basic');
select ensure_credit_account('00000000-0000-0000-0000-00000000008b', 'pro');
select grant_credits('00000000-0000-0000-0000-00000000008a', 40, 'gift', 'g');
select start_generation('00000000-0000-0000-0000-00000000008a', 'enhance', 'wavespeed', 'm', 30);

select results_eq(
  $$ select total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month,
            period_end - period_start between 28 and 31
       from get_credit_balance('00000000-0000-0000-0000-00000000008a') $$,
  $$ values (110::bigint, 70::bigint, 40::bigint, 'basic', 100, 30::bigint, true) $$, 'get_credit_balance reports buckets, tier, usage and the period');
select throws_ok($$ select get_credit_balance('00000000-0000-0000-0000-0000000000ff') $$, 'CR002', null, 'no account is CR002');
select throws_ok($$ select get_credit_balance(null) $$, 'CR003', null, 'a null user is CR003');

-- Promotional credits: the test runs in one transaction, so now() stands still: a lot "expires"
-- by moving its date back.
create function pg_temp.lapse(p_user uuid) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = p_user and reason = 'due' $$;
select ensure_credit_account('00000000-0000-0000-0000-0000000000f3', 'basic');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f3', 30, '1 day', 'due', 'l-1');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f3', 5, '1 day', 'due', 'l-2');
select pg_temp.lapse('00000000-0000-0000-0000-0000000000f3');
select results_eq($$ select total_credits, promotional_credits from get_credit_balance('00000000-0000-0000-0000-0000000000f3') $$,
  $$ values (100::bigint, 0::bigint) $$, 'a balance read leaves out a lot past its date');
select ensure_credit_account('00000000-0000-0000-0000-0000000000f4', 'basic');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f4', 40, '1 day', 'due', 'j-1');
select grant_promotional_credits('00000000-0000-0000-0000-0000000000f4', 7, '3 days', 'later', 'j-2');
select pg_temp.lapse('00000000-0000-0000-0000-0000000000f4');
select expire_promotional_credits();
select results_eq($$ select promotional_credits, promotional_expires_at = now() + interval '3 days' from get_credit_balance('00000000-0000-0000-0000-0000000000f4') $$,
  $$ values (7::bigint, true) $$, 'the balance shows the promotional credits and their soonest expiry');

-- Only the service reads any account's balance; an end user reads their own (my_credit_balance).
select set_config('request.jwt.claims', '{"sub": "00000000-0000-0000-0000-00000000008a", "role": "authenticated"}', true);
set local role authenticated;
select throws_ok($$ select get_credit_balance('00000000-0000-0000-0000-00000000008b') $$, '42501', null, 'an end user cannot read another balance');
reset role;

select * from finish(true);
rollback;
