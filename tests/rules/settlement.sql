-- Contract §11, rule by rule: start_generation's charge is a hold; complete_generation's
-- p_credits_used settles it, giving back what was not used as one 'refund' row with origin
-- 'settlement', in the reverse of the spending order; duplicates, refusals, readers, invariants.
begin;
set local search_path to public, tap;
select plan(57);

-- The test runs in one transaction, so now() stands still: a month "ends" by moving the
-- account's period back, a lot "expires" by moving its date back.
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month;
create temp table u (name text primary key, id uuid);
insert into u values
  ('hold', '00000000-0000-0000-0000-0000000011a1'), ('order', '00000000-0000-0000-0000-0000000011a2'),
  ('promo', '00000000-0000-0000-0000-0000000011a3'), ('month', '00000000-0000-0000-0000-0000000011a4'),
  ('lapse', '00000000-0000-0000-0000-0000000011a5'), ('dup', '00000000-0000-0000-0000-0000000011a6'),
  ('low', '00000000-0000-0000-0000-0000000011a7');
select ensure_credit_account(id, 'basic') from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.charge(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'video', 'wavespeed', 'kling', p_credits) $$;
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, promotional bigint, used bigint)
  language sql as $$ select credits, monthly_credits, purchased_credits, promotional_credits, credits_used_this_month
                       from user_credits where user_id = pg_temp.id(p_name) $$;
create function pg_temp.settlement(p_task uuid) returns table (amount bigint, monthly bigint, promotional bigint, origin text)
  language sql as $$ select amount, monthly_amount, promotional_amount, origin from credit_transactions
                      where task_id = p_task and type = 'refund' $$;
create temp table t (name text primary key, task uuid);

-- 1. Null settles the whole hold: today's behaviour.
insert into t values ('whole', pg_temp.charge('hold', 30));
select results_eq($$ select status, outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 'whole')) $$,
  $$ values ('completed', 'completed', 30::bigint, 0) $$, 'settlement: a null p_credits_used settles the whole hold');
select is_empty($$ select * from pg_temp.settlement((select task from t where name = 'whole')) $$,
  'settlement: the whole hold used writes no refund row');

-- 2. Less than the hold: the difference back in the same call, one refund row of the task.
insert into t values ('part', pg_temp.charge('hold', 30));
select results_eq($$ select status, outcome, credits_final, refunded_credits
                      from complete_generation((select task from t where name = 'part'), null, 'https://cdn/v.mp4', 12) $$,
  $$ values ('completed', 'completed', 12::bigint, 18) $$, 'settlement: less than the hold gives the difference back');
select results_eq($$ select amount, origin from pg_temp.settlement((select task from t where name = 'part')) $$,
  $$ values (18::bigint, 'settlement') $$, 'settlement: one refund row of the task, with origin settlement');
select results_eq($$ select credits, used from pg_temp.buckets('hold') $$, $$ values (58::bigint, 42::bigint) $$,
  'settlement: the balance and used_this_month as if only what was used had been charged');
select results_eq($$ select credits_used, credits_final from get_generation((select task from t where name = 'part')) $$,
  $$ values (30::bigint, 12::bigint) $$, 'get_generation: credits_used keeps the hold, credits_final what it cost');
insert into t values ('zero', pg_temp.charge('hold', 8));
select results_eq($$ select credits_final, refunded_credits from complete_generation((select task from t where name = 'zero'), null, null, 0) $$,
  $$ values (0::bigint, 8) $$, 'settlement: 0 used gives the whole hold back, and the task is completed');
select results_eq($$ select status from enhancement_tasks where id = (select task from t where name = 'zero') $$,
  $$ values ('completed') $$, 'settlement: a task that used nothing is still completed, not failed');

-- 3. The reverse of the spending order: purchased first, then monthly, then promotional.
select grant_credits(pg_temp.id('order'), 50, 'pack', 'order-pack');
insert into t values ('order', pg_temp.charge('order', 120));  -- monthly 100, purchased 20
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (30::bigint, 0::bigint, 30::bigint, 0::bigint, 120::bigint) $$,
  'the hold took 100 monthly and 20 purchased credits');
select complete_generation((select task from t where name = 'order'), null, null, 75);
select results_eq($$ select * from pg_temp.buckets('order') $$, $$ values (75::bigint, 25::bigint, 50::bigint, 0::bigint, 75::bigint) $$,
  'reverse order: 45 back, the 20 purchased first, then 25 monthly');
select results_eq($$ select amount, monthly, promotional from pg_temp.settlement((select task from t where name = 'order')) $$,
  $$ values (45::bigint, 25::bigint, 0::bigint) $$, 'reverse order: the settlement row records the split it paid');

-- ... and promotional credits last, the grant expiring last first.
select grant_credits(pg_temp.id('promo'), 40, 'pack', 'promo-pack');
select grant_promotional_credits(pg_temp.id('promo'), 20, '7 days', 'late', 'promo-late');
select grant_promotional_credits(pg_temp.id('promo'), 10, '3 days', 'soon', 'promo-soon');
insert into t values ('promo', pg_temp.charge('promo', 150));  -- promotional 30 (soon 10, late 20), monthly 100, purchased 20
select complete_generation((select task from t where name = 'promo'), null, null, 5);
select results_eq($$ select * from pg_temp.buckets('promo') $$, $$ values (165::bigint, 100::bigint, 40::bigint, 25::bigint, 5::bigint) $$,
  'reverse order: 145 back, purchased 20, monthly 100, then 25 promotional');
select results_eq($$ select l.reason, l.remaining from credits_private.promotional_lots l where l.user_id = pg_temp.id('promo') order by l.id $$,
  $$ values ('late', 20::bigint), ('soon', 5::bigint) $$, 'reverse order: the grant expiring last gets its credits back first');
select results_eq($$ select amount, monthly, promotional from pg_temp.settlement((select task from t where name = 'promo')) $$,
  $$ values (145::bigint, 100::bigint, 25::bigint) $$, 'reverse order: the row records the promotional part');

-- 4. A bucket gone meanwhile gives its credits back as purchased ones: a period ended ...
insert into t values ('month', pg_temp.charge('month', 60));  -- 60 monthly credits of this month
update user_credits set period_start = (select last_month from p) where user_id = pg_temp.id('month');
update credit_transactions set period_start = (select last_month from p), created_at = created_at - interval '1 month'
 where user_id = pg_temp.id('month') and period_start is not null;
select results_eq($$ select refunded_credits from complete_generation((select task from t where name = 'month'), null, null, 20) $$,
  $$ values (40) $$, 'a settlement after the month changed still gives every credit back');
select results_eq($$ select * from pg_temp.buckets('month') $$, $$ values (140::bigint, 100::bigint, 40::bigint, 0::bigint, 0::bigint) $$,
  'after the month changed: the new month started, the monthly credits came back as purchased; usage never negative');
select results_eq($$ select used, refunded, settled from credit_statement(pg_temp.id('month')) $$,
  $$ values (0::bigint, 0::bigint, 40::bigint) $$, 'a statement: a settlement of last month''s charge is settled, never a negative used');
select results_eq($$ select used, settled from credit_statement(pg_temp.id('month'), (select last_month from p)) $$,
  $$ values (60::bigint, 0::bigint) $$, 'the charge''s month keeps what it charged: its statement never changes afterwards');

-- ... or a grant expired.
select grant_promotional_credits(pg_temp.id('lapse'), 20, '7 days', 'lapsing', 'lapse-1');
insert into t values ('lapse', pg_temp.charge('lapse', 20));
update credits_private.promotional_lots set expires_at = now() - interval '1 second' where user_id = pg_temp.id('lapse');
select results_eq($$ select refunded_credits from complete_generation((select task from t where name = 'lapse'), null, null, 4) $$,
  $$ values (16) $$, 'a settlement after the grant expired gives every credit back');
select results_eq($$ select credits, purchased, promotional from pg_temp.buckets('lapse') $$,
  $$ values (116::bigint, 16::bigint, 0::bigint) $$, 'the expired grant''s credits come back as purchased ones');

-- 5. More than the hold, or below 0: CR003, nothing written.
insert into t values ('big', pg_temp.charge('hold', 10));
select throws_ok($$ select complete_generation((select task from t where name = 'big'), null, null, 11) $$, 'CR003', null,
  'refusal: more than the hold is CR003');
select throws_ok($$ select complete_generation((select task from t where name = 'big'), null, null, -1) $$, 'CR003', null,
  'refusal: below 0 is CR003');
select results_eq($$ select status, credits_settled_back from enhancement_tasks where id = (select task from t where name = 'big') $$,
  $$ values ('pending', null::bigint) $$, 'refusal: the task is left in flight, nothing settled');
select results_eq($$ select count(*) from credit_transactions where task_id = (select task from t where name = 'big') $$,
  $$ values (1::bigint) $$, 'refusal: no ledger row written');

-- 6. Duplicates: null or the same figure is already_completed; another figure is CR006.
insert into t values ('dup', pg_temp.charge('dup', 20));
select complete_generation((select task from t where name = 'dup'), null, null, 15);
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 'dup')) $$,
  $$ values ('already_completed', 15::bigint, 0) $$, 'duplicate: a null figure on a completed task settles nothing');
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 'dup'), null, null, 15) $$,
  $$ values ('already_completed', 15::bigint, 0) $$, 'duplicate: the same figure settles nothing');
select throws_ok($$ select complete_generation((select task from t where name = 'dup'), null, null, 10) $$, 'CR006', null,
  'duplicate: a different figure is CR006');
select throws_ok($$ select complete_generation((select task from t where name = 'dup'), null, null, 21) $$, 'CR003', null,
  'duplicate: a figure above the hold is CR003');
select results_eq($$ select credits, used from pg_temp.buckets('dup') $$, $$ values (85::bigint, 15::bigint) $$,
  'duplicate: the balance moved once');
insert into t values ('whole-dup', pg_temp.charge('dup', 10));
select complete_generation((select task from t where name = 'whole-dup'));
select results_eq($$ select outcome, credits_final from complete_generation((select task from t where name = 'whole-dup'), null, null, 10) $$,
  $$ values ('already_completed', 10::bigint) $$, 'duplicate: the hold itself repeats a completion without a figure');
select throws_ok($$ select complete_generation((select task from t where name = 'whole-dup'), null, null, 9) $$, 'CR006', null,
  'duplicate: a lower figure after a completion without one is CR006');

-- 7. A failed task ignores any figure.
insert into t values ('failed', pg_temp.charge('dup', 10));
select fail_generation((select task from t where name = 'failed'), 'provider error');
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 'failed'), null, null, 3) $$,
  $$ values ('ignored_already_failed', null::bigint, 0) $$, 'failed: a figure on a failed task is ignored');
select results_eq($$ select outcome from complete_generation((select task from t where name = 'failed'), null, null, 999) $$,
  $$ values ('ignored_already_failed') $$, 'failed: even one above the hold');
select results_eq($$ select outcome from complete_generation((select task from t where name = 'failed'), null, null, -5) $$,
  $$ values ('ignored_already_failed') $$, 'failed: even one below 0');
select results_eq($$ select amount, origin from pg_temp.settlement((select task from t where name = 'failed')) $$,
  $$ values (10::bigint, 'rpc') $$, 'failed: the failure''s one refund, of the whole charge, and no settlement');
select results_eq($$ select credits_final from get_generation((select task from t where name = 'failed')) $$,
  $$ values (null::bigint) $$, 'get_generation: credits_final is null for a task that did not complete');

-- 8. credits_final for end users, null until completed.
insert into t values ('pending', pg_temp.charge('dup', 5));
select results_eq($$ select credits_final from get_generation((select task from t where name = 'pending')) $$,
  $$ values (null::bigint) $$, 'get_generation: credits_final is null until the task completes');
select set_config('request.jwt.claims', json_build_object('sub', pg_temp.id('dup'))::text, true);
grant select on t to authenticated;
set local role authenticated;
select results_eq($$ select credits_used, credits_final from my_generations where id = (select task from t where name = 'dup') $$,
  $$ values (20::bigint, 15::bigint) $$, 'my_generations: credits_used is the hold, credits_final what it cost');
select results_eq($$ select credits_final from my_generations where id = (select task from t where name = 'pending') $$,
  $$ values (null::bigint) $$, 'my_generations: credits_final is null until completed');
reset role;

-- 9. Readers: history says it is a settlement; a statement's used is the final cost.
select results_eq($$ select type, origin, amount from credit_history(pg_temp.id('hold'), null, 50)
                      where task_id = (select task from t where name = 'part') order by amount $$,
  $$ values ('usage', 'rpc', -30::bigint), ('refund', 'settlement', 18::bigint) $$, 'credit_history: the settlement row says it is one');
select results_eq($$ select used, refunded, settled from credit_statement(pg_temp.id('dup')) $$,
  $$ values (40::bigint, 10::bigint, 0::bigint) $$,
  'credit_statement: used is what generations finally cost (15 + 10 + 10 failed + 5 in flight); refunds of failures stay refunds');
select results_eq($$ select closing_balance = opening_balance + allocated + purchased + promoted - used + refunded + settled - expired + adjusted
                      from credit_statement(pg_temp.id('dup')) $$, $$ values (true) $$, 'credit_statement: still adds up');

-- 10. A settlement is not a failure: refund rates and credits refunded count failures only.
select monitoring.refresh_rollups(true);
select results_eq($$ select credits_charged, credits_refunded, credits_settled, credits_used
                      from monitoring.summary where granularity = 'day' and period_start = current_date $$,
  $$ values (473::bigint, 10::bigint, 277::bigint, 186::bigint) $$,
  'monitoring: credits held, refunded by failures, settled back and used, apart');
select results_eq($$ select refund_rate from monitoring.summary where granularity = 'day' and period_start = current_date $$,
  $$ values (round(10 / 473.0, 4)::float8) $$, 'monitoring: the refund rate counts failures'' refunds only');
select results_eq($$ select credits_charged, credits_refunded, credits_settled, credits_spent from monitoring.cost_per_user_monthly
                      where user_id = pg_temp.id('dup') $$,
  $$ values (45::bigint, 10::bigint, 5::bigint, 30::bigint) $$, 'monitoring: a user''s credits spent are what the generations finally cost');
select results_eq($$ select (admin_credit_stats(now() - interval '1 day', now() + interval '1 second') -> 'totals') ->> k
                      from unnest(array['credits_charged', 'credits_refunded', 'credits_settled', 'credits_used']) k $$,
  $$ values ('473'), ('10'), ('277'), ('186') $$, 'admin_credit_stats: totals gain the credits used and settled back');
select results_eq($$ select (admin_credit_stats(now() - interval '1 day', now() + interval '1 second') -> 'refunds') ->> 'credits' $$,
  $$ values ('10') $$, 'admin_credit_stats: refunds are failures'' refunds only');

-- 11. Low-balance events: the threshold is crossed by the hold; a settlement that lifts the balance writes none.
select set_low_balance_threshold(pg_temp.id('low'), 50);
insert into t values ('low', pg_temp.charge('low', 80));
select results_eq($$ select count(*) from credits_private.credit_events where user_id = pg_temp.id('low') $$,
  $$ values (1::bigint) $$, 'low balance: the hold crossed the threshold, one event');
select complete_generation((select task from t where name = 'low'), null, null, 10);
select results_eq($$ select count(*) from credits_private.credit_events where user_id = pg_temp.id('low') $$,
  $$ values (1::bigint) $$, 'low balance: the settlement that lifted the balance wrote no event');

-- A legacy task in flight at adoption (charged by the old application) completes at its whole
-- charge: the figure is checked, nothing is given back.
insert into t values ('legacy', pg_temp.charge('dup', 6));
update enhancement_tasks set origin = 'legacy' where id = (select task from t where name = 'legacy');
select results_eq($$ select outcome, credits_final, refunded_credits from complete_generation((select task from t where name = 'legacy'), null, null, 2) $$,
  $$ values ('completed', 6::bigint, 0) $$, 'legacy: a task the package did not charge completes at its whole charge');
select results_eq($$ select outcome from complete_generation((select task from t where name = 'legacy'), null, null, 2) $$,
  $$ values ('already_completed') $$, 'legacy: its duplicate settles nothing and raises nothing');

-- 12. The amended invariants 3 and 4, proven by verify_ledger.
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after every settlement above');
create temp table tampered as select * from credit_transactions where task_id = (select task from t where name = 'order') and type = 'refund';
delete from credit_transactions where task_id = (select task from t where name = 'order') and type = 'refund';
select results_eq($$ select invariant from verify_ledger() where task_id = (select task from t where name = 'order') $$,
  $$ values ('settlement_mismatch') $$, 'verify_ledger: a completed task that used less than its hold and has no refund');
insert into credit_transactions select * from tampered;
update credit_transactions set amount = amount + 1, balance_after = balance_after + 1
 where task_id = (select task from t where name = 'order') and type = 'refund';
select results_eq($$ select invariant from verify_ledger() where task_id = (select task from t where name = 'order') and invariant <> 'balance_mismatch' $$,
  $$ values ('settlement_mismatch') $$, 'verify_ledger: a settlement of other than the charge less credits_final');
update credit_transactions set amount = amount - 1, balance_after = balance_after - 1
 where task_id = (select task from t where name = 'order') and type = 'refund';
update enhancement_tasks set credits_settled_back = null where id = (select task from t where name = 'order');
select results_eq($$ select invariant from verify_ledger() where task_id = (select task from t where name = 'order') $$,
  $$ values ('settlement_mismatch') $$, 'verify_ledger: a completed task that used its whole hold has no refund');
update enhancement_tasks set credits_settled_back = 45 where id = (select task from t where name = 'order');
update credit_transactions set origin = 'settlement' where task_id = (select task from t where name = 'failed') and type = 'refund';
select results_eq($$ select invariant from verify_ledger() where task_id = (select task from t where name = 'failed') $$,
  $$ values ('refund_not_failed') $$, 'verify_ledger: a settlement on a failed task');
update credit_transactions set origin = 'rpc', amount = 9, monthly_amount = least(monthly_amount, 9), balance_after = balance_after - 1
 where task_id = (select task from t where name = 'failed') and type = 'refund';
select results_eq($$ select invariant from verify_ledger() where task_id = (select task from t where name = 'failed') and invariant <> 'balance_mismatch' $$,
  $$ values ('refund_mismatch') $$, 'verify_ledger: a failed task refunded less than its whole charge');

select * from finish(true);
rollback;
