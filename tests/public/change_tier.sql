-- change_tier: an upgrade applies now and tops the month up, a downgrade waits for the next
-- period; idempotent per key, and a refused change records nothing.
begin;
set local search_path to public, tap;
select plan(25);

-- Plan changes (contract §10): tiers free 10, basic 100, pro 500 a month.
create temp table u (name text primary key, id uuid);
insert into u values ('up', '00000000-0000-0000-0000-0000000000e1'), ('down', '00000000-0000-0000-0000-0000000000e2'),
  ('boundary', '00000000-0000-0000-0000-0000000000e3');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;

-- An upgrade applies now and tops the period up by the allowances' difference.
select results_eq($$ select tier, pending_tier, outcome, credits_granted, balance, replayed from change_tier(pg_temp.id('up'), 'pro', 'evt-1') $$,
  $$ values ('pro', null::text, 'upgraded', 400::bigint, 500::bigint, false) $$, 'an upgrade applies now with the difference of the allowances');
select results_eq($$ select type, amount, monthly_amount from credit_transactions where user_id = pg_temp.id('up') and type = 'tier_upgrade' $$,
  $$ values ('tier_upgrade', 400::bigint, 400::bigint) $$, 'as one tier_upgrade row into the monthly bucket');
select results_eq($$ select tier, monthly_credits, purchased_credits, monthly_allowance from user_credits where user_id = pg_temp.id('up') $$,
  $$ values ('pro', 500::bigint, 0::bigint, 500::bigint) $$, 'the account is on the new tier, its monthly bucket topped up');
select results_eq($$ select outcome, credits_granted, balance, replayed from change_tier(pg_temp.id('up'), 'pro', 'evt-1') $$,
  $$ values ('upgraded', 400::bigint, 500::bigint, true) $$, 'the same key again replays it');
select is((select count(*)::int from credit_transactions where user_id = pg_temp.id('up') and type = 'tier_upgrade'), 1, 'and grants nothing more');
select throws_ok($$ select * from change_tier(pg_temp.id('up'), 'basic', 'evt-1') $$, 'CR006', null, 'the same key for another tier is CR006');
select results_eq($$ select outcome, credits_granted from change_tier(pg_temp.id('up'), 'pro', 'evt-2') $$,
  $$ values ('unchanged', 0::bigint) $$, 'asking for the current tier changes nothing');

-- A downgrade waits for the next period.
select results_eq($$ select tier, pending_tier, outcome, credits_granted, balance from change_tier(pg_temp.id('down'), 'free', 'evt-3') $$,
  $$ values ('basic', 'free', 'downgrade_scheduled', 0::bigint, 100::bigint) $$, 'a downgrade is scheduled, nothing moves');
select results_eq($$ select tier, pending_tier, monthly_allowance from get_credit_balance(pg_temp.id('down')) $$,
  $$ values ('basic', 'free', 100) $$, 'the balance shows it as pending_tier');
select results_eq($$ select pending_tier, outcome from change_tier(pg_temp.id('down'), 'basic', 'evt-4') $$,
  $$ values (null::text, 'unchanged') $$, 'asking for the current tier cancels it');
select results_eq($$ select pending_tier from change_tier(pg_temp.id('down'), 'free', 'evt-5') $$,
  $$ values ('free') $$, 'scheduled again');
select results_eq($$ select outcome, credits_granted, pending_tier from change_tier(pg_temp.id('down'), 'pro', 'evt-6') $$,
  $$ values ('upgraded', 400::bigint, null::text) $$, 'an upgrade replaces a scheduled downgrade');
select change_tier(pg_temp.id('down'), 'free', 'evt-7');

-- The next period starts on the scheduled tier, whoever starts it.
update user_credits set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('down');
update credit_transactions set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('down') and period_start is not null;
select results_eq($$ select tier, pending_tier, total_credits, monthly_credits from get_credit_balance(pg_temp.id('down')) $$,
  $$ values ('free', null::text, 10::bigint, 10::bigint) $$, 'a balance read reports the new period on the scheduled tier');
select results_eq($$ select accounts from allocate_monthly_credits() $$, $$ values (1) $$, 'the allocation starts the period');
select results_eq($$ select tier, pending_tier, credits, monthly_credits, monthly_allowance from user_credits where user_id = pg_temp.id('down') $$,
  $$ values ('free', null::text, 10::bigint, 10::bigint, 10::bigint) $$, 'on the scheduled tier, with its allowance');

-- An upgrade at the boundary: the account's month starts first, then the upgrade tops it up.
update user_credits set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('boundary');
update credit_transactions set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('boundary') and period_start is not null;
select results_eq($$ select outcome, credits_granted, balance from change_tier(pg_temp.id('boundary'), 'pro', 'evt-8') $$,
  $$ values ('upgraded', 400::bigint, 500::bigint) $$, 'an upgrade in a new month: allocation first, then the top-up');
select results_eq($$ select type, amount from credit_transactions
                     where user_id = pg_temp.id('boundary') and period_start = date_trunc('month', now() at time zone 'UTC')::date order by amount $$,
  $$ values ('expiration', -100::bigint), ('allocation', 100::bigint), ('tier_upgrade', 400::bigint) $$, 'the month''s rows: expiration, allocation, upgrade');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

-- An allowance edited mid-period reaches the account at its next period only: an upgrade tops up
-- from what the account was given this period (basic 100 then), not from the tier's new figure.
insert into u values ('edited', '00000000-0000-0000-0000-0000000000e4');
select ensure_credit_account(pg_temp.id('edited'), 'basic');
update credit_tiers set monthly_allowance = 50 where tier = 'basic';
select results_eq($$ select outcome, credits_granted, balance from change_tier(pg_temp.id('edited'), 'pro', 'evt-13') $$,
  $$ values ('upgraded', 400::bigint, 500::bigint) $$, 'the top-up is pro''s 500 less the 100 given this period');
update credit_tiers set monthly_allowance = 100 where tier = 'basic';

-- Refusals.
select throws_ok($$ select * from change_tier(pg_temp.id('up'), 'platinum', 'evt-9') $$, 'CR003', 'unknown tier', 'an unknown tier is CR003');
select throws_ok($$ select * from change_tier(pg_temp.id('up'), 'pro', ' ') $$, 'CR003', null, 'a blank key is CR003');
select throws_ok($$ select * from change_tier(null, 'pro', 'evt-10') $$, 'CR003', null, 'a null user is CR003');
select throws_ok($$ select * from change_tier('00000000-0000-0000-0000-0000000000ff', 'pro', 'evt-11') $$, 'CR002', null, 'no account is CR002');
select is((select count(*)::int from credits_private.tier_changes where idempotency_key in ('evt-9', 'evt-10', 'evt-11')), 0, 'a refused change records nothing');

set local role authenticated;
select throws_ok($$ select * from change_tier(pg_temp.id('up'), 'free', 'evt-12') $$, '42501', null, 'end users cannot change their tier');
reset role;

select * from finish(true);
rollback;
