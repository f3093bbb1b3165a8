begin;
set local search_path to public, tap;
select plan(45);

-- Promotional credits (contract §10): lots that expire on their own date, spent first.
-- The test runs in one transaction, so now() stands still: a lot "expires" by moving its date back.
create temp table u (name text primary key, id uuid);
insert into u values ('order', '00000000-0000-0000-0000-0000000000f1'), ('refund', '00000000-0000-0000-0000-0000000000f2'),
  ('lazy', '00000000-0000-0000-0000-0000000000f3'), ('job', '00000000-0000-0000-0000-0000000000f4'),
  ('month', '00000000-0000-0000-0000-0000000000f5'), ('event', '00000000-0000-0000-0000-0000000000f6'),
  ('lazy event', '00000000-0000-0000-0000-0000000000f7');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.charge(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'enhance', 'wavespeed', 'm', p_credits) $$;
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint)
  language sql as $$ select credits, monthly_credits, purchased_credits, promotional_credits from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.lapse(p_lot bigint) returns void language sql as $$
  update credits_private.promotional_lots set expires_at = now() - interval '1 second' where id = p_lot $$;

-- The grant: a lot and its ledger row (an adjustment, all of it promotional), idempotent per key.
select results_eq($$ select balance, replayed, expires_at = now() + interval '7 days'
                      from grant_promotional_credits(pg_temp.id('order'), 50, '7 days', 'launch week', 'promo-1') $$,
  $$ values (150::bigint, false, true) $$, 'a grant adds to the balance and expires after p_valid_for');
select results_eq($$ select type, amount, monthly_amount, promotional_amount, balance_after from credit_transactions
                     where user_id = pg_temp.id('order') and promotional_amount > 0 $$,
  $$ values ('adjustment', 50::bigint, 0::bigint, 50::bigint, 150::bigint) $$, 'one adjustment row, all of it promotional');
select results_eq($$ select replayed, balance from grant_promotional_credits(pg_temp.id('order'), 50, '7 days', 'launch week', 'promo-1') $$,
  $$ values (true, 150::bigint) $$, 'the same key again replays the grant');
select is((select count(*)::int from credits_private.promotional_lots where user_id = pg_temp.id('order')), 1, 'and adds no lot');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 50, '8 days', 'launch week', 'promo-1') $$,
  'CR006', null, 'the same key with another validity is CR006');
select lives_ok($$ select grant_credits(pg_temp.id('order'), 20, 'pack', 'promo-1') $$, 'grant_credits'' keys are its own');

-- Refusals: each with its code, nothing written.
select throws_ok($$ select * from grant_promotional_credits('00000000-0000-0000-0000-00000000dead', 5, '1 day', 'x', 'k') $$,
  'CR002', null, 'no account is CR002');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 0, '1 day', 'x', 'k') $$, 'CR003', null, 'no credits is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '30 seconds', 'x', 'k') $$,
  'CR003', 'p_valid_for must be between 1 minute and 366 days', 'a validity under a minute is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '-1 day', 'x', 'k') $$, 'CR003', null, 'a negative validity too');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '367 days', 'x', 'k') $$, 'CR003', null, 'and one over 366 days');
select lives_ok($$ select * from grant_promotional_credits(pg_temp.id('month'), 5, '1 year', 'x', 'year-long') $$, 'a year passes');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, null, 'x', 'k') $$, 'CR003', null, 'and none');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '1 day', ' ', 'k') $$, 'CR003', null, 'a blank reason is CR003');
select throws_ok($$ select * from grant_promotional_credits(pg_temp.id('order'), 5, '1 day', 'x', null) $$, 'CR003', null, 'the key is required');
select is((select count(*)::int from credits_private.promotional_lots where user_id = pg_temp.id('order')), 1, 'the refusals wrote no lot');

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

-- Lazy expiry: a charge first expires the lots past their date (an expiration row each).
select grant_promotional_credits(pg_temp.id('lazy'), 30, '1 day', 'spring', 'l-1');
select grant_promotional_credits(pg_temp.id('lazy'), 5, '1 day', 'summer', 'l-2');
select pg_temp.lapse(id) from credits_private.promotional_lots where user_id = pg_temp.id('lazy');
select results_eq($$ select total_credits, promotional_credits from get_credit_balance(pg_temp.id('lazy')) $$,
  $$ values (100::bigint, 0::bigint) $$, 'a balance read leaves out a lot past its date');
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

-- The expiry job: due lots only, each once; refusals.
select grant_promotional_credits(pg_temp.id('job'), 40, '1 day', 'due', 'j-1');
select grant_promotional_credits(pg_temp.id('job'), 7, '3 days', 'later', 'j-2');
select pg_temp.lapse(id) from credits_private.promotional_lots where user_id = pg_temp.id('job') and reason = 'due';
select results_eq($$ select lots, accounts, credits_expired from expire_promotional_credits() $$,
  $$ values (2, 1, 40::bigint) $$, 'the job expires the lots past their date (the refund''s spent lot only marked)');
select results_eq($$ select lots, accounts, credits_expired from expire_promotional_credits() $$,
  $$ values (0, 0, 0::bigint) $$, 'a second run finds nothing to expire');
select results_eq($$ select * from pg_temp.buckets('job') $$, $$ values (107::bigint, 100::bigint, 0::bigint, 7::bigint) $$,
  'the later lot is untouched');
select throws_ok($$ select * from expire_promotional_credits(0) $$, 'CR003', 'p_limit must be between 1 and 100000', 'p_limit 0 is CR003');

-- An expiry that takes a balance below its low-balance threshold is a crossing: one event, from
-- the job (no task), or from the charge that expired the lot first (with its task).
select set_low_balance_threshold(id, 110) from u where name in ('event', 'lazy event');
select grant_promotional_credits(id, 30, '1 day', 'soon gone', 'e-1') from u where name in ('event', 'lazy event');
select pg_temp.lapse(l.id) from credits_private.promotional_lots l where l.user_id = pg_temp.id('event');
select expire_promotional_credits();
select results_eq($$ select balance, threshold, task_id is null from credits_private.credit_events where user_id = pg_temp.id('event') $$,
  $$ values (100::bigint, 110, true) $$, 'the job''s expiry that crosses the threshold writes the event');
select pg_temp.lapse(l.id) from credits_private.promotional_lots l where l.user_id = pg_temp.id('lazy event');
create temp table lazy_task as select pg_temp.charge('lazy event', 5) task; -- 130 -> 100 (expiry) -> 95
select results_eq($$ select balance, threshold, task_id = (select task from lazy_task) from credits_private.credit_events
                     where user_id = pg_temp.id('lazy event') $$,
  $$ values (95::bigint, 110, true) $$, 'a charge whose lazy expiry began the crossing writes one event, with its task');

-- A new month expires monthly credits only: promotional ones keep their own date.
select grant_promotional_credits(pg_temp.id('month'), 25, '60 days', 'quarter', 'm-1');
update user_credits set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('month');
update credit_transactions set period_start = (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date
 where user_id = pg_temp.id('month') and period_start is not null;
select pg_temp.charge('month', 1);
select results_eq($$ select * from pg_temp.buckets('month') $$, $$ values (129::bigint, 100::bigint, 0::bigint, 29::bigint) $$,
  'the new month''s allowance, the lot kept and spent first');

-- What reads the ledger sees the new bucket.
select results_eq($$ select promoted, expired, closing_balance = opening_balance + allocated + purchased + promoted - used + refunded - expired + adjusted
                      from credit_statement(pg_temp.id('lazy')) $$,
  $$ values (35::bigint, 35::bigint, true) $$, 'the statement shows the grants and their expiry, and adds up');
select results_eq($$ select promotional_credits, promotional_expires_at = now() + interval '3 days' from get_credit_balance(pg_temp.id('job')) $$,
  $$ values (7::bigint, true) $$, 'the balance shows the promotional credits and their soonest expiry');
select is_empty($$ select * from verify_ledger() $$, 'the ledger is sound');

-- verify_ledger proves the new bucket: a lot and its account that disagree are reported.
update credits_private.promotional_lots set remaining = remaining - 1 where user_id = pg_temp.id('job') and expired_at is null;
select results_eq($$ select invariant from verify_ledger() $$, $$ values ('promotional_mismatch') $$,
  'a lot that lost a credit outside the ledger is reported');
update credits_private.promotional_lots set remaining = remaining + 1 where user_id = pg_temp.id('job') and expired_at is null;
update credits_private.promotional_lots set remaining = 3 where user_id = pg_temp.id('job') and reason = 'due';
select results_eq($$ select invariant, detail ~ 'expired at .* with 3 credits left' from verify_ledger() $$,
  $$ values ('promotional_mismatch', true) $$, 'so is an expired lot that still holds credits');
update credits_private.promotional_lots set remaining = 0 where user_id = pg_temp.id('job') and reason = 'due';
insert into credits_private.promotional_spends (task_id, lot_id, credits)
  select gen_random_uuid(), id, 2 from credits_private.promotional_lots where user_id = pg_temp.id('job') and reason = 'later';
select results_eq($$ select invariant, detail from verify_ledger() $$,
  $$ values ('promotional_spend_mismatch', '2 credits spent from lots by no charge') $$, 'and a spend that belongs to no charge');

select * from finish();
rollback;
