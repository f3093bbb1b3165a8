-- Contract §13 "Rollover", rule by rule: at a period change up to the rollover cap of the tier the
-- new period starts on of the unused monthly credits stay in the monthly bucket, the rest expires
-- (cap 0: all expire, as in §2); one 'allocation' row for the new period, saying how many were
-- carried; the lazy roll-over and the allocation batch end alike; carried credits are monthly
-- credits of the new period (spent before purchased ones, refunded to the monthly bucket, unused
-- again at the following period); a refund of an old period's charge comes back as purchased
-- credits (§2); a balance read reports the carry before the roll-over; the ledger stays sound.
begin;
set local search_path to public, tap;
select plan(57);

-- The test runs in one transaction, so now() stands still: a month "ends" by moving the
-- account's period back (contract §13, "Testing a period change").
create temp table p as
  select date_trunc('month', now() at time zone 'UTC')::date as this_month,
         (date_trunc('month', now() at time zone 'UTC') - interval '1 month')::date as last_month,
         to_char(date_trunc('month', now() at time zone 'UTC'), 'YYYY-MM') as label;
-- Tiers of the test's own (the seeded ones keep their cap of 0):
--   keep0 100 a month, cap 0; roll100 100 a month, cap 30;
--   rollbig 200 a month, cap 150; rollsmall 50 a month, cap 10; nocap 200 a month, cap 0.
select upsert_credit_tier('keep0', 100);
select upsert_credit_tier('roll100', 100, null, null, null, 30);
select upsert_credit_tier('rollbig', 200, null, null, null, 150);
select upsert_credit_tier('rollsmall', 50, null, null, null, 10);
select upsert_credit_tier('nocap', 200);
create temp table u (name text primary key, id uuid, tier text);
insert into u values
  ('zero', '00000000-0000-0000-0000-0000000029a1', 'keep0'), ('capped', '00000000-0000-0000-0000-0000000029a2', 'roll100'),
  ('under', '00000000-0000-0000-0000-0000000029a3', 'roll100'), ('down', '00000000-0000-0000-0000-0000000029a4', 'rollbig'),
  ('gains', '00000000-0000-0000-0000-0000000029a5', 'nocap'), ('lazy', '00000000-0000-0000-0000-0000000029a6', 'roll100'),
  ('batch', '00000000-0000-0000-0000-0000000029a7', 'roll100'), ('spend', '00000000-0000-0000-0000-0000000029a8', 'roll100'),
  ('twice', '00000000-0000-0000-0000-0000000029a9', 'roll100'), ('refnew', '00000000-0000-0000-0000-0000000029aa', 'roll100'),
  ('refold', '00000000-0000-0000-0000-0000000029ab', 'roll100'), ('read', '00000000-0000-0000-0000-0000000029ac', 'roll100');
select ensure_credit_account(id, tier) from u;
create function pg_temp.id(p_name text) returns uuid language sql as $$ select id from u where name = p_name $$;
create function pg_temp.start(p_name text, p_credits integer) returns uuid language sql as $$
  select task_id from start_generation(pg_temp.id(p_name), 'image', 'wavespeed', 'nano-banana', p_credits) $$;
create function pg_temp.grant(p_name text, p_credits integer, p_key text) returns bigint language sql as $$
  select balance from grant_credits(pg_temp.id(p_name), p_credits, 'pack', p_key) $$;
-- An account's buckets and period, as the table holds them.
create function pg_temp.buckets(p_name text) returns table (credits bigint, monthly bigint, purchased bigint, period date)
  language sql as $$ select credits, monthly_credits, purchased_credits, period_start from user_credits where user_id = pg_temp.id(p_name) $$;
-- The roll-over's rows of the new period: expiration first, then allocation.
create function pg_temp.period_rows(p_name text)
  returns table (type text, amount bigint, monthly bigint, description text, balance_after bigint)
  language sql as $$ select type, amount, monthly_amount, description, balance_after from credit_transactions
                      where user_id = pg_temp.id(p_name) and period_start = (select this_month from p)
                        and type in ('expiration', 'allocation')
                      order by type desc $$;
-- Moves an account back one period: its period_start and its rows' one month earlier (nothing else).
create function pg_temp.back_one_period(p_name text) returns void language sql as $$
  update user_credits set period_start = (period_start - interval '1 month')::date where user_id = pg_temp.id(p_name);
  update credit_transactions set period_start = (period_start - interval '1 month')::date
   where user_id = pg_temp.id(p_name) and period_start is not null $$;
create function pg_temp.allowance_text(p_carried integer default 0) returns text language sql as $$
  select 'monthly allowance for ' || (select label from p)
         || case when p_carried > 0 then format(' (%s unused credits carried over)', p_carried) else '' end $$;
create temp table t (name text primary key, task uuid);

-- 1. Cap 0 keeps §2: every unused monthly credit expires (a grant starts the month).
select pg_temp.grant('zero', 25, 'zero-1');
select pg_temp.start('zero', 40);  -- 60 monthly credits unused
select pg_temp.back_one_period('zero');
select is(pg_temp.grant('zero', 5, 'zero-2'), 130::bigint, 'cap 0: the first grant of the month: 25 + 5 purchased + 100, nothing carried');
select results_eq($$ select * from pg_temp.period_rows('zero') $$,
  $$ values ('expiration', -60::bigint, -60::bigint, 'unused monthly credits expired', 25::bigint),
            ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(), 125::bigint) $$,
  'cap 0: all 60 unused expire, the allocation says nothing was carried');
select results_eq($$ select * from pg_temp.buckets('zero') $$, $$ values (130::bigint, 100::bigint, 30::bigint, (select this_month from p)) $$,
  'cap 0: the monthly bucket holds the allowance alone');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a roll-over with cap 0');

-- 2. A cap keeps up to the cap in the monthly bucket and expires the rest (a charge starts the month).
select pg_temp.grant('capped', 25, 'capped-1');
select pg_temp.start('capped', 40);  -- 60 unused, cap 30
select pg_temp.back_one_period('capped');
select results_eq($$ select balance from start_generation(pg_temp.id('capped'), 'image', 'wavespeed', 'nano-banana', 5) $$,
  $$ values (150::bigint) $$, 'cap: the first charge of the month: 25 purchased + 30 carried + 100 - 5');
select results_eq($$ select * from pg_temp.period_rows('capped') $$,
  $$ values ('expiration', -30::bigint, -30::bigint, 'unused monthly credits expired (30 carried over)', 55::bigint),
            ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(30), 155::bigint) $$,
  'cap: 30 of 60 expire, 30 carried; both rows say so and their balance_after counts the carried 30');
select results_eq($$ select * from pg_temp.buckets('capped') $$, $$ values (150::bigint, 125::bigint, 25::bigint, (select this_month from p)) $$,
  'cap: the carried 30 are in the monthly bucket with the allowance; purchased credits untouched');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a capped roll-over');

-- 3. Fewer unused than the cap: all carried, no expiration row.
select pg_temp.start('under', 80);  -- 20 unused, cap 30
select pg_temp.back_one_period('under');
select results_eq($$ select total_credits, monthly_credits, period_start from get_credit_balance(pg_temp.id('under')) $$,
  $$ values (120::bigint, 120::bigint, (select this_month from p)) $$, 'under the cap: a read before the roll-over shows all 20 carried');
select results_eq($$ select balance from start_generation(pg_temp.id('under'), 'image', 'wavespeed', 'nano-banana', 10) $$,
  $$ values (110::bigint) $$, 'under the cap: 20 carried + 100 - 10');
select results_eq($$ select * from pg_temp.period_rows('under') $$,
  $$ values ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(20), 120::bigint) $$,
  'under the cap: no expiration row, the allocation says 20 were carried');
select is_empty($$ select * from credit_transactions where user_id = pg_temp.id('under') and type = 'expiration' $$,
  'under the cap: nothing expired at all');
select results_eq($$ select * from pg_temp.buckets('under') $$, $$ values (110::bigint, 110::bigint, 0::bigint, (select this_month from p)) $$,
  'under the cap: the buckets');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a roll-over under the cap');

-- 4. The cap of the tier the new period starts on decides: a scheduled downgrade ...
select pg_temp.start('down', 20);  -- 180 unused; rollbig's cap would keep 150
select results_eq($$ select outcome, pending_tier from change_tier(pg_temp.id('down'), 'rollsmall', 'down-1') $$,
  $$ values ('downgrade_scheduled', 'rollsmall') $$, 'downgrade: scheduled to rollsmall (cap 10)');
select pg_temp.back_one_period('down');
select results_eq($$ select tier, pending_tier, total_credits, monthly_credits, monthly_allowance from get_credit_balance(pg_temp.id('down')) $$,
  $$ values ('rollsmall', null::text, 60::bigint, 60::bigint, 50) $$,
  'downgrade: a read before the roll-over shows rollsmall''s cap: 10 carried + 50');
select results_eq($$ select balance from start_generation(pg_temp.id('down'), 'image', 'wavespeed', 'nano-banana', 5) $$,
  $$ values (55::bigint) $$, 'downgrade: the first charge of the month: 10 carried + 50 - 5');
select results_eq($$ select * from pg_temp.period_rows('down') $$,
  $$ values ('expiration', -170::bigint, -170::bigint, 'unused monthly credits expired (10 carried over)', 10::bigint),
            ('allocation', 50::bigint, 50::bigint, pg_temp.allowance_text(10), 60::bigint) $$,
  'downgrade: rollsmall''s cap of 10 applies, not rollbig''s 150: 170 expire');
select results_eq($$ select tier, pending_tier, monthly_credits from user_credits where user_id = pg_temp.id('down') $$,
  $$ values ('rollsmall', null::text, 55::bigint) $$, 'downgrade: the account is on rollsmall');
-- ... and from a tier without a cap to one with a cap.
select pg_temp.start('gains', 20);  -- 180 unused; nocap would keep none
select change_tier(pg_temp.id('gains'), 'rollsmall', 'gains-1');
select pg_temp.back_one_period('gains');
select is(pg_temp.grant('gains', 1, 'gains-2'), 61::bigint, 'downgrade: from a tier with cap 0 to one with cap 10: 10 carried + 50 + 1');
select results_eq($$ select * from pg_temp.period_rows('gains') $$,
  $$ values ('expiration', -170::bigint, -170::bigint, 'unused monthly credits expired (10 carried over)', 10::bigint),
            ('allocation', 50::bigint, 50::bigint, pg_temp.allowance_text(10), 60::bigint) $$,
  'downgrade: the new tier''s cap applies though the old tier had none');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after roll-overs onto another tier');

-- 5. The lazy roll-over and the batch: two accounts in the same state end alike.
select pg_temp.grant(name, 25, name || '-1') from u where name in ('lazy', 'batch');
select pg_temp.start(name, 40) from u where name in ('lazy', 'batch');  -- each: 60 unused, 25 purchased
select pg_temp.back_one_period(name) from u where name in ('lazy', 'batch');
select pg_temp.start('lazy', 5);  -- the lazy roll-over, then the charge
select results_eq($$ select accounts, credits_allocated, credits_expired from allocate_monthly_credits((select this_month from p)) $$,
  $$ values (1, 100::bigint, 30::bigint) $$, 'lazy/batch: the batch moves the other account: 100 allocated, 30 of 60 expired');
select pg_temp.start('batch', 5);  -- the same charge after the batch
select results_eq($$ select credits, monthly, purchased, period from pg_temp.buckets('lazy') $$,
  $$ select credits, monthly, purchased, period from pg_temp.buckets('batch') $$, 'lazy/batch: the same buckets');
select results_eq($$ select type, amount, monthly_amount, promotional_amount, debt_amount, description, balance_after, origin
                      from credit_transactions where user_id = pg_temp.id('lazy') and period_start = (select this_month from p)
                     order by type, amount $$,
  $$ select type, amount, monthly_amount, promotional_amount, debt_amount, description, balance_after, origin
       from credit_transactions where user_id = pg_temp.id('batch') and period_start = (select this_month from p)
      order by type, amount $$, 'lazy/batch: the same rows of the new period');
select results_eq($$ select * from pg_temp.period_rows('batch') $$,
  $$ values ('expiration', -30::bigint, -30::bigint, 'unused monthly credits expired (30 carried over)', 55::bigint),
            ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(30), 155::bigint) $$,
  'lazy/batch: the batch''s rows carry 30 too');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after a lazy and a batched roll-over');

-- 6. Carried credits are monthly credits of the new period: spent before purchased ones ...
select pg_temp.grant('spend', 20, 'spend-1');
select pg_temp.start('spend', 40);  -- 60 unused, 20 purchased
select pg_temp.back_one_period('spend');
insert into t values ('s115', pg_temp.start('spend', 115));  -- rolls over to 130 monthly, then charges
select results_eq($$ select * from pg_temp.buckets('spend') $$, $$ values (35::bigint, 15::bigint, 20::bigint, (select this_month from p)) $$,
  'carried: a charge of 115 (more than the allowance of 100) takes carried credits before purchased ones');
select results_eq($$ select amount, monthly_amount from credit_transactions where task_id = (select task from t where name = 's115') $$,
  $$ values (-115::bigint, -115::bigint) $$, 'carried: the usage row is all monthly');
-- ... unused monthly credits again at the following period (15, under the cap: all carried) ...
select pg_temp.back_one_period('spend');
select is(pg_temp.grant('spend', 5, 'spend-2'), 140::bigint, 'carried: at the following period the 15 left carry over: 115 monthly + 25 purchased');
select results_eq($$ select * from pg_temp.period_rows('spend') $$,
  $$ values ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(15), 135::bigint) $$,
  'carried: the allocation says 15 carried over, none expired');
select results_eq($$ select * from pg_temp.buckets('spend') $$, $$ values (140::bigint, 115::bigint, 25::bigint, (select this_month from p)) $$,
  'carried: the buckets after the second roll-over');
-- ... and subject to the cap: credits carried once never carry beyond it.
select pg_temp.back_one_period('twice');  -- 100 unused
select pg_temp.grant('twice', 1, 'twice-1');  -- 30 carried, 70 expire
select results_eq($$ select monthly, purchased from pg_temp.buckets('twice') $$, $$ values (130::bigint, 1::bigint) $$,
  'carried: first roll-over: 30 carried + 100');
select pg_temp.back_one_period('twice');  -- 130 unused, 30 of them carried last time
select pg_temp.grant('twice', 1, 'twice-2');
select results_eq($$ select * from pg_temp.period_rows('twice') $$,
  $$ values ('expiration', -100::bigint, -100::bigint, 'unused monthly credits expired (30 carried over)', 31::bigint),
            ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(30), 131::bigint) $$,
  'carried: at the following period carried credits are unused monthly credits again: 30 of 130 carry, 100 expire');
select results_eq($$ select monthly, purchased from pg_temp.buckets('twice') $$, $$ values (130::bigint, 2::bigint) $$,
  'carried: the cap holds: 130 monthly again, not 160');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after carried credits were spent and carried again');

-- 7. A refund in the new period of a charge made from carried credits returns them to the monthly bucket.
select pg_temp.start('refnew', 40);  -- 60 unused
select pg_temp.back_one_period('refnew');
insert into t values ('n120', pg_temp.start('refnew', 120));  -- rolls over to 130 monthly; 120 of them charged
select results_eq($$ select * from pg_temp.buckets('refnew') $$, $$ values (10::bigint, 10::bigint, 0::bigint, (select this_month from p)) $$,
  'refund: the charge of 120 took carried credits');
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'n120'), 'provider error') $$,
  $$ values (120, 130::bigint) $$, 'refund: fail_generation refunds all 120');
select results_eq($$ select * from pg_temp.buckets('refnew') $$, $$ values (130::bigint, 130::bigint, 0::bigint, (select this_month from p)) $$,
  'refund: back to the monthly bucket, carried credits included; nothing turns purchased');
select results_eq($$ select amount, monthly_amount, balance_after, period_start from credit_transactions
                     where task_id = (select task from t where name = 'n120') and type = 'refund' $$,
  $$ values (120::bigint, 120::bigint, 130::bigint, (select this_month from p)) $$, 'refund: the refund row is all monthly');
select results_eq($$ select used_this_month from get_credit_balance(pg_temp.id('refnew')) $$, $$ values (0::bigint) $$,
  'refund: this month''s usage goes back to 0');

-- 8. A refund after the change of a charge made in the old period comes back as purchased credits (§2).
insert into t values ('o40', pg_temp.start('refold', 40));  -- 60 unused, 40 in flight
select pg_temp.back_one_period('refold');
select results_eq($$ select refunded_credits, balance from fail_generation((select task from t where name = 'o40'), 'late failure') $$,
  $$ values (40, 170::bigint) $$, 'old refund: the refund starts the month, then returns all 40: 30 carried + 100 + 40');
select results_eq($$ select * from pg_temp.period_rows('refold') $$,
  $$ values ('expiration', -30::bigint, -30::bigint, 'unused monthly credits expired (30 carried over)', 30::bigint),
            ('allocation', 100::bigint, 100::bigint, pg_temp.allowance_text(30), 130::bigint) $$,
  'old refund: the roll-over carried 30 of the 60 unused');
select results_eq($$ select * from pg_temp.buckets('refold') $$, $$ values (170::bigint, 130::bigint, 40::bigint, (select this_month from p)) $$,
  'old refund: the old period''s monthly credits come back as purchased; the monthly bucket stays carried + allowance');
select results_eq($$ select amount, monthly_amount, balance_after from credit_transactions
                     where task_id = (select task from t where name = 'o40') and type = 'refund' $$,
  $$ values (40::bigint, 0::bigint, 170::bigint) $$, 'old refund: the refund row has no monthly part');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after refunds across the period change');

-- 9. get_credit_balance before the roll-over shows what it will carry; a read writes nothing.
select pg_temp.grant('read', 20, 'read-1');
select pg_temp.start('read', 40);  -- 60 unused, 20 purchased
select pg_temp.back_one_period('read');
create temp table seen as
  select total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, period_start
    from get_credit_balance(pg_temp.id('read'));
select results_eq($$ select * from seen $$,
  $$ values (150::bigint, 130::bigint, 20::bigint, 'roll100', 100, 0::bigint, (select this_month from p)) $$,
  'read: get_credit_balance shows the new month with 30 carried');
select results_eq($$ select * from pg_temp.buckets('read') $$, $$ values (80::bigint, 60::bigint, 20::bigint, (select last_month from p)) $$,
  'read: and writes nothing');
select results_eq($$ select accounts, credits_expired from allocate_monthly_credits((select this_month from p)) $$,
  $$ values (1, 30::bigint) $$, 'read: the batch rolls the account over');
select results_eq($$ select credits, monthly, purchased, period from pg_temp.buckets('read') $$,
  $$ select total_credits, monthly_credits, purchased_credits, period_start from seen $$,
  'read: to the balance the read reported');
select results_eq($$ select total_credits, monthly_credits, purchased_credits, tier, monthly_allowance, used_this_month, period_start
                      from get_credit_balance(pg_temp.id('read')) $$, $$ select * from seen $$,
  'read: get_credit_balance after the roll-over reads the same');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after the read and the batch');

-- 10. The rules, over every account of the test.
select is_empty($$ select u.name, count(c.*) from u left join credit_transactions c
                     on c.user_id = u.id and c.type = 'allocation' and c.period_start = (select this_month from p)
                    group by u.name having count(c.*) <> 1 $$,
  'allocation: exactly one allocation row for the new period, every account');
select is_empty($$ select u.name from u join user_credits uc on uc.user_id = u.id
                    where uc.credits <> (select sum(amount) from credit_transactions c where c.user_id = u.id) $$,
  'invariant 1: credits = Σ amount, every account');
select is_empty($$ select u.name from u join user_credits uc on uc.user_id = u.id
                    where uc.monthly_credits <> (select sum(monthly_amount) from credit_transactions c where c.user_id = u.id) $$,
  'monthly_credits = Σ monthly_amount, every account');
select is_empty($$ select u.name from u join user_credits uc on uc.user_id = u.id
                    where uc.period_start <> (select this_month from p) or uc.credits_used_this_month < 0
                       or least(uc.monthly_credits, uc.purchased_credits) < 0 $$,
  'every account is in the new period, no bucket negative');
select is_empty($$ select * from verify_ledger() $$, 'verify_ledger: sound after every scenario');

select * from finish(true);
rollback;
